// The mesos-launch command line: parses flags (cxxopts) and runs --check,
// --plan, --schema or a spec. Returns the process exit code
// (launcher/exit_code.h). Writes only to `out` and `err`, so tests can drive
// it whole.
#ifndef MLAUNCH_LAUNCHER_CLI_H_
#define MLAUNCH_LAUNCHER_CLI_H_

#include <iosfwd>

#include "launcher/exit_code.h"
#include "launcher/inputs.h"

namespace mlaunch {

int RunCli(int argc, const char* const* argv, const World& world, std::ostream& out,
           std::ostream& err);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_CLI_H_

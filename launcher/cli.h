// The mesos-launch command line: parses flags (cxxopts) and runs --check,
// --plan, --schema or a spec. Returns the process exit code (docs/running.md, "Exit codes"):
// 0 ok, 1 invalid spec, 2 cannot connect, 64 usage error. Writes only to
// `out` and `err`, so tests can drive it whole.
#ifndef MLAUNCH_LAUNCHER_CLI_H_
#define MLAUNCH_LAUNCHER_CLI_H_

#include <iosfwd>

#include "launcher/inputs.h"

namespace mlaunch {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalidSpec = 1;
inline constexpr int kExitCannotConnect = 2;
inline constexpr int kExitUsage = 64;

int RunCli(int argc, const char* const* argv, const World& world, std::ostream& out,
           std::ostream& err);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_CLI_H_

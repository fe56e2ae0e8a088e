// Secrets of a run, read when the run starts and only then: env variables
// marked `secret: true` (from_file or from_env) and the principal's secret
// (--secret-file, then framework.secret_file, then MESOS_LAUNCH_SECRET).
//
// Values never appear in messages: problems name the spec key and the file
// or variable, never what was in it. A trailing newline of a file is not
// part of the secret. Reads through a World, so tests pass fakes.
#ifndef MLAUNCH_LAUNCHER_SECRETS_H_
#define MLAUNCH_LAUNCHER_SECRETS_H_

#include <map>
#include <optional>
#include <string>

#include "common/diagnostic.h"
#include "launcher/inputs.h"
#include "launcher/spec/spec.h"

namespace mlaunch {

struct RunSecrets {
  std::map<std::string, std::string> env;  // variable name -> value
  std::optional<std::string> principal;    // HTTP basic password, if any
};

// `secret_file_flag` is --secret-file ("" when not given). Unreadable
// secrets are errors at the key that names them.
RunSecrets ReadSecrets(const spec::Spec& spec, const World& world,
                       const std::string& secret_file_flag, Diagnostics& diagnostics);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_SECRETS_H_

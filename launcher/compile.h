// The compiler: a checked Spec and its Inputs in, a Plan out. Pure: the
// caller supplies what would otherwise come from the machine (the user name,
// file contents, environment values).
#ifndef MLAUNCH_LAUNCHER_COMPILE_H_
#define MLAUNCH_LAUNCHER_COMPILE_H_

#include <string>

#include "launcher/inputs.h"
#include "launcher/plan.h"
#include "launcher/spec/spec.h"

namespace mlaunch {

struct CompileOptions {
  std::string default_user = {};  // framework.user when the spec gives none
  // executor.uri of tasks that name none (--executor-uri); empty: the agent
  // runs `default_executor_path`, or `mesos-launch-executor` from its PATH.
  std::string default_executor_uri = {};
  // An absolute path the agent runs the executor from, nothing fetched: the
  // embedded cluster's agent, on this machine, runs the executor installed
  // beside mesos-launch in place (no copy of it in every sandbox).
  std::string default_executor_path = {};
};

// REQUIRES: `spec` loaded without errors and `inputs` read for it.
Plan Compile(const spec::Spec& spec, const Inputs& inputs, const CompileOptions& options);

// The placeholder a string gets for a secret; never the secret itself.
std::string SecretPlaceholder(const std::string& variable);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_COMPILE_H_

// The compiler: a checked Spec and its Inputs in, a Plan out. Pure: the
// caller supplies what would otherwise come from the machine (the user name,
// file contents, environment values).
#ifndef MLAUNCH_LAUNCHER_COMPILE_H_
#define MLAUNCH_LAUNCHER_COMPILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "launcher/inputs.h"
#include "launcher/plan.h"
#include "launcher/spec/spec.h"

namespace mlaunch {

// How the agents get mesos-launch-executor for tasks whose spec names no
// `executor.uri` (docs/running.md, "Running on a real cluster").
struct ExecutorDelivery {
  enum class Source {
    kAgentPath,  // `mesos-launch-executor` from the agent's PATH (--executor-from-path)
    kInPlace,    // run from `path` where it is: the embedded cluster's agent, on this machine
    kUri,        // fetched from `uri` (--executor-uri)
    kServed,     // fetched from mesos-launch itself, at `uri` (content-addressed)
  };
  Source source = Source::kAgentPath;
  std::string uri = {};   // kUri, kServed
  std::string path = {};  // kInPlace; kServed: the file served
  // kUri (--executor-checksum), kServed: 64 lower-case hex digits; the agent
  // checks the fetched file against it before running it. Empty: unchecked.
  std::string sha256 = {};
  int64_t bytes = 0;  // kServed: the binary's size, added to the executor's disk
};

// "served by mesos-launch", "fetched from URI", ... for --plan and the log.
std::string Describe(const ExecutorDelivery& delivery);

// The exit code of an executor command that found the fetched executor's
// sha256 different from the one expected, before running it; the scheduler
// reads it from the FAILURE event's wait status.
inline constexpr int kExecutorChecksumExit = 65;

// What VerifyThenExec writes when the agent has no sha256sum.
inline constexpr std::string_view kNoSha256sum = "this agent has no sha256sum";

// The shell command the agent runs for an executor fetched as `file` that
// must have `sha256`: it checks the file with the agent's `sha256sum`, and
// on a match exec's `program`; on a mismatch it writes "executor checksum
// mismatch (expected E, got G)" to stderr and exits kExecutorChecksumExit
// (as it does, saying kNoSha256sum, when there is no sha256sum). Its own
// variables are unset before the exec: the task's environment is the spec's.
std::string VerifyThenExec(const std::string& file, const std::string& sha256,
                           const std::string& program);

struct CompileOptions {
  std::string default_user = {};   // framework.user when the spec gives none
  ExecutorDelivery executor = {};  // for tasks whose spec names no executor.uri
};

// REQUIRES: `spec` loaded without errors and `inputs` read for it.
Plan Compile(const spec::Spec& spec, const Inputs& inputs, const CompileOptions& options);

// The placeholder a string gets for a secret; never the secret itself.
std::string SecretPlaceholder(const std::string& variable);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_COMPILE_H_

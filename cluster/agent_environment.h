// The environment an agent gives a custom executor (docs/mesos-protocol.md,
// "The executor's environment"): the agent's variables, then CommandInfo.environment on top
// (the task's values win), then PATH when still unset. The agent's own
// environment is never inherited. Also stout's duration format ("5secs").
//
// Pure code: no I/O. Errors are values.
#ifndef MLAUNCH_CLUSTER_AGENT_ENVIRONMENT_H_
#define MLAUNCH_CLUSTER_AGENT_ENVIRONMENT_H_

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

inline constexpr char kDefaultExecutorPath[] =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// stout's Duration printer: the largest unit (ns, us, ms, secs, mins, hrs,
// days, weeks) in which the value is a whole number, e.g. "5secs", "250ms".
std::string StoutDuration(std::int64_t nanoseconds);

struct ExecutorEnvironmentInput {
  std::string framework_id;
  std::string executor_id;
  std::string agent_id;
  std::string sandbox;         // absolute host path
  std::string agent_endpoint;  // "ip:port"
  bool checkpoint = false;
  std::int64_t shutdown_grace_period_ns = 5'000'000'000;
  std::int64_t recovery_timeout_ns = 15LL * 60 * 1'000'000'000;
  std::int64_t subscription_backoff_max_ns = 2'000'000'000;
  bool http_command_executor = false;
  mesos::v1::Environment user;       // CommandInfo.environment
  std::string authentication_token;  // MESOS_EXECUTOR_AUTHENTICATION_TOKEN, when set
};

// Fails when a variable is a SECRET whose value cannot be resolved here
// (a REFERENCE secret, or a SECRET without a value).
Result<std::map<std::string, std::string>> ExecutorEnvironment(
    const ExecutorEnvironmentInput& input);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_AGENT_ENVIRONMENT_H_

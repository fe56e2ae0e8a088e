#include "cluster/agent_environment.h"

#include <utility>

namespace mlaunch::cluster {

std::string StoutDuration(std::int64_t nanoseconds) {
  struct Unit {
    std::int64_t ns;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {7LL * 24 * 3600 * 1'000'000'000, "weeks"},
      {24LL * 3600 * 1'000'000'000, "days"},
      {3600LL * 1'000'000'000, "hrs"},
      {60LL * 1'000'000'000, "mins"},
      {1'000'000'000, "secs"},
      {1'000'000, "ms"},
      {1'000, "us"},
  };
  for (const Unit& unit : kUnits) {
    if (nanoseconds != 0 && nanoseconds % unit.ns == 0) {
      return std::to_string(nanoseconds / unit.ns) + unit.name;
    }
  }
  return std::to_string(nanoseconds) + "ns";
}

Result<std::map<std::string, std::string>> ExecutorEnvironment(
    const ExecutorEnvironmentInput& input) {
  std::map<std::string, std::string> env;
  env["MESOS_FRAMEWORK_ID"] = input.framework_id;
  env["MESOS_EXECUTOR_ID"] = input.executor_id;
  env["MESOS_DIRECTORY"] = input.sandbox;
  env["MESOS_SANDBOX"] = input.sandbox;
  env["MESOS_AGENT_ENDPOINT"] = input.agent_endpoint;
  env["MESOS_SLAVE_PID"] = "slave(1)@" + input.agent_endpoint;
  env["MESOS_SLAVE_ID"] = input.agent_id;
  env["MESOS_CHECKPOINT"] = input.checkpoint ? "1" : "0";
  env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = StoutDuration(input.shutdown_grace_period_ns);
  if (input.checkpoint) {
    env["MESOS_RECOVERY_TIMEOUT"] = StoutDuration(input.recovery_timeout_ns);
    env["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = StoutDuration(input.subscription_backoff_max_ns);
  }
  env["MESOS_HTTP_COMMAND_EXECUTOR"] = input.http_command_executor ? "1" : "0";
  env["LIBPROCESS_PORT"] = "0";
  for (const auto& variable : input.user.variables()) {
    if (variable.type() == mesos::v1::Environment::Variable::SECRET) {
      if (!variable.has_secret() || variable.secret().type() != mesos::v1::Secret::VALUE ||
          !variable.secret().has_value()) {
        return Status::InvalidData("environment variable '" + variable.name() +
                                   "' is a secret this agent cannot resolve "
                                   "(only VALUE secrets are supported)");
      }
      env[variable.name()] = variable.secret().value().data();
    } else {
      env[variable.name()] = variable.value();
    }
  }
  if (env.find("PATH") == env.end()) env["PATH"] = kDefaultExecutorPath;
  // After the task's own variables, which may not replace it.
  if (!input.authentication_token.empty()) {
    env["MESOS_EXECUTOR_AUTHENTICATION_TOKEN"] = input.authentication_token;
  }
  return env;
}

}  // namespace mlaunch::cluster

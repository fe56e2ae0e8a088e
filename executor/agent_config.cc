#include "executor/agent_config.h"

#include <initializer_list>

namespace mlaunch::executor {

std::optional<AgentConfig> ReadAgentConfig(const Getenv& getenv, std::string& error) {
  AgentConfig config;
  struct Required {
    const char* name;
    std::string* into;
  };
  for (const Required& r : {Required{"MESOS_AGENT_ENDPOINT", &config.agent.endpoint},
                            Required{"MESOS_FRAMEWORK_ID", &config.framework_id},
                            Required{"MESOS_EXECUTOR_ID", &config.executor_id}}) {
    std::optional<std::string> value = getenv(r.name);
    if (!value || value->empty()) {
      error = std::string(r.name) +
              " is not set: mesos-launch-executor is started by a Mesos agent, which sets it";
      return std::nullopt;
    }
    *r.into = *value;
  }
  std::optional<std::string> sandbox = getenv("MESOS_SANDBOX");
  if (!sandbox) sandbox = getenv("MESOS_DIRECTORY");
  config.sandbox = sandbox.value_or(".");
  config.checkpoint = getenv("MESOS_CHECKPOINT").value_or("0") == "1";
  // The first of `names` that is set, read as Mesos reads a boolean flag.
  auto flag = [&](std::initializer_list<const char*> names) {
    for (const char* name : names) {
      if (std::optional<std::string> value = getenv(name)) return *value == "1" || *value == "true";
    }
    return false;
  };
  config.agent.tls = flag({"SSL_ENABLED", "LIBPROCESS_SSL_ENABLED"});
  config.agent.verify_tls =
      flag({"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "LIBPROCESS_SSL_VERIFY_CERT"});
  config.agent.ca_file = getenv("LIBPROCESS_SSL_CA_FILE").value_or("");
  config.agent.token = getenv(kTokenVariable).value_or("");
  return config;
}

}  // namespace mlaunch::executor

#include "executor/agent_config.h"

namespace mlaunch::executor {

std::optional<AgentConfig> ReadAgentConfig(const Getenv& getenv, std::string& error) {
  AgentConfig config;
  struct Required {
    const char* name;
    std::string* into;
  };
  for (const Required& r : {Required{"MESOS_AGENT_ENDPOINT", &config.agent_endpoint},
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
  return config;
}

}  // namespace mlaunch::executor

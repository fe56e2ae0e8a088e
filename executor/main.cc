// mesos-launch-executor: wiring only. The v1 Executor API client and the
// built-in services arrive with their issue; today the program checks the
// agent's environment and says what it would connect to.
#include <cstdlib>
#include <iostream>

#include "executor/agent_config.h"

int main() {
  std::string error;
  auto config = mlaunch::executor::ReadAgentConfig(
      [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (!value) return std::nullopt;
        return std::string(value);
      },
      error);
  if (!config) {
    std::cerr << "mesos-launch-executor: " << error << "\n";
    return 1;
  }
  std::cerr << "mesos-launch-executor: agent " << config->agent_endpoint << ", executor "
            << config->executor_id << ": the v1 Executor API client is not built yet\n";
  return 1;
}

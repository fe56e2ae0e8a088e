// What an agent tells the executor it starts, through the environment
// (mesos-v1-reference.md §3.2). Pure: the caller passes a lookup function.
#ifndef MLAUNCH_EXECUTOR_AGENT_CONFIG_H_
#define MLAUNCH_EXECUTOR_AGENT_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

namespace mlaunch::executor {

struct AgentConfig {
  std::string agent_endpoint;   // MESOS_AGENT_ENDPOINT: host:port of the agent
  std::string framework_id;     // MESOS_FRAMEWORK_ID
  std::string executor_id;      // MESOS_EXECUTOR_ID
  std::string sandbox;          // MESOS_SANDBOX (or MESOS_DIRECTORY)
  bool checkpoint = false;      // MESOS_CHECKPOINT == "1"
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

// The configuration, or nullopt with `error` naming the missing variable.
std::optional<AgentConfig> ReadAgentConfig(const Getenv& getenv, std::string& error);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_AGENT_CONFIG_H_

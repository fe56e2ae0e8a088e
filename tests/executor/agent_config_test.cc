#include "executor/agent_config.h"

#include <gtest/gtest.h>

#include <map>

namespace mlaunch::executor {
namespace {

Getenv From(std::map<std::string, std::string> env) {
  return [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

TEST(AgentConfig, ReadsTheAgentsVariables) {
  std::string error;
  auto config = ReadAgentConfig(From({{"MESOS_AGENT_ENDPOINT", "127.0.0.2:5051"},
                                      {"MESOS_FRAMEWORK_ID", "f1"},
                                      {"MESOS_EXECUTOR_ID", "e1"},
                                      {"MESOS_SANDBOX", "/sb"},
                                      {"MESOS_CHECKPOINT", "1"}}),
                                error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->agent_endpoint, "127.0.0.2:5051");
  EXPECT_EQ(config->sandbox, "/sb");
  EXPECT_TRUE(config->checkpoint);
}

TEST(AgentConfig, NamesTheMissingVariable) {
  std::string error;
  auto config = ReadAgentConfig(
      From({{"MESOS_AGENT_ENDPOINT", "127.0.0.2:5051"}, {"MESOS_EXECUTOR_ID", "e1"}}), error);
  EXPECT_FALSE(config);
  EXPECT_EQ(error.rfind("MESOS_FRAMEWORK_ID is not set", 0), 0u) << error;
}

}  // namespace
}  // namespace mlaunch::executor

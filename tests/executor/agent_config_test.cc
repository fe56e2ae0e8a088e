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
  EXPECT_EQ(config->agent.endpoint, "127.0.0.2:5051");
  EXPECT_EQ(config->sandbox, "/sb");
  EXPECT_TRUE(config->checkpoint);
  EXPECT_FALSE(config->agent.tls);
  EXPECT_FALSE(config->agent.verify_tls);
  EXPECT_EQ(config->agent.token, "");
}

// The variables Mesos' own executor library reads for TLS and the token.
TEST(AgentConfig, ReadsTlsAndTheTokenAsMesosDoes) {
  const std::map<std::string, std::string> base = {{"MESOS_AGENT_ENDPOINT", "10.0.0.5:5051"},
                                                   {"MESOS_FRAMEWORK_ID", "f1"},
                                                   {"MESOS_EXECUTOR_ID", "e1"}};
  struct Case {
    std::map<std::string, std::string> extra;
    bool tls;
    bool verify;
  };
  const Case cases[] = {
      {{{"LIBPROCESS_SSL_ENABLED", "true"}}, true, false},
      {{{"LIBPROCESS_SSL_ENABLED", "1"}, {"LIBPROCESS_SSL_VERIFY_SERVER_CERT", "true"}},
       true,
       true},
      {{{"SSL_ENABLED", "1"}, {"LIBPROCESS_SSL_VERIFY_CERT", "1"}}, true, true},
      {{{"SSL_ENABLED", "0"}, {"LIBPROCESS_SSL_ENABLED", "1"}}, false, false},
      {{{"LIBPROCESS_SSL_ENABLED", "yes"}}, false, false},
  };
  for (const Case& c : cases) {
    std::map<std::string, std::string> env = base;
    env.insert(c.extra.begin(), c.extra.end());
    std::string error;
    auto config = ReadAgentConfig(From(env), error);
    ASSERT_TRUE(config) << error;
    EXPECT_EQ(config->agent.tls, c.tls) << c.extra.begin()->first;
    EXPECT_EQ(config->agent.verify_tls, c.verify) << c.extra.begin()->first;
  }
  std::map<std::string, std::string> env = base;
  env["LIBPROCESS_SSL_CA_FILE"] = "/etc/mesos/ca.pem";
  env[kTokenVariable] = "jwt";
  std::string error;
  auto config = ReadAgentConfig(From(env), error);
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->agent.ca_file, "/etc/mesos/ca.pem");
  EXPECT_EQ(config->agent.token, "jwt");
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

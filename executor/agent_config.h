// What an agent tells the executor it starts, through the environment
// (docs/mesos-protocol.md, "The executor's environment"). Pure: the caller
// passes a lookup function.
#ifndef MLAUNCH_EXECUTOR_AGENT_CONFIG_H_
#define MLAUNCH_EXECUTOR_AGENT_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

namespace mlaunch::executor {

// How to reach the agent: its address, and what Mesos' own executor library
// reads beside it (docs/mesos-protocol.md, "The executor's environment").
struct AgentLink {
  std::string endpoint;  // MESOS_AGENT_ENDPOINT: ip:port of the agent
  // HTTPS when SSL_ENABLED (or, when that is unset, LIBPROCESS_SSL_ENABLED)
  // is "1" or "true", as the agent itself serves then. The agent's certificate is
  // verified only when LIBPROCESS_SSL_VERIFY_SERVER_CERT (or the older
  // LIBPROCESS_SSL_VERIFY_CERT) says so, against LIBPROCESS_SSL_CA_FILE or
  // the machine's CAs: Mesos' default is not to verify.
  bool tls = false;
  bool verify_tls = false;
  std::string ca_file;
  // MESOS_EXECUTOR_AUTHENTICATION_TOKEN, sent as "Authorization: Bearer"
  // with every call when the agent gave one.
  std::string token;
};

struct AgentConfig {
  AgentLink agent;
  std::string framework_id;  // MESOS_FRAMEWORK_ID
  std::string executor_id;   // MESOS_EXECUTOR_ID
  std::string sandbox;       // MESOS_SANDBOX (or MESOS_DIRECTORY)
  bool checkpoint = false;   // MESOS_CHECKPOINT == "1"
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

inline constexpr char kTokenVariable[] = "MESOS_EXECUTOR_AUTHENTICATION_TOKEN";

// The configuration, or nullopt with `error` naming the missing variable.
// The caller removes MESOS_EXECUTOR_AUTHENTICATION_TOKEN from the process's
// environment afterwards (kTokenVariable), so no task inherits it.
std::optional<AgentConfig> ReadAgentConfig(const Getenv& getenv, std::string& error);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_AGENT_CONFIG_H_

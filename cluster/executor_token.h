// Executor authentication, on by default (LocalAgent::Options). The agent
// gives every executor it starts a token in MESOS_EXECUTOR_AUTHENTICATION_
// TOKEN naming its framework, executor and container ids, signed with a key
// only the agent holds; it takes executor calls only with
// `Authorization: Bearer <token>` (docs/mesos-protocol.md, "The executor's
// environment"): 401 without a token it signed, 403 when the token names
// another executor than the call. So no other local process can send an
// executor's UPDATEs, as Mesos' --authenticate_http_executors ensures.
//
// The token is ours, not Mesos' JWT (executors treat it as opaque):
// base64 of {"fid","eid","cid"} JSON, ".", then the HMAC-SHA256 of that
// base64 text in hex. The key is <work_dir>/executor_secret_key (32 random
// bytes, mode 0600), made at the first start and read at the next, so that
// executors recovered after a restart keep valid tokens.
//
// Immutable once opened; thread-safe.
#ifndef MLAUNCH_CLUSTER_EXECUTOR_TOKEN_H_
#define MLAUNCH_CLUSTER_EXECUTOR_TOKEN_H_

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace mlaunch::cluster {

struct ExecutorClaims {
  std::string framework_id;
  std::string executor_id;
  std::string container_id;

  bool operator==(const ExecutorClaims&) const = default;
};

class ExecutorTokens {
 public:
  // Reads the key in `key_file`, or makes one there (atomically: agents
  // sharing a work dir all end up with the first one made).
  static Result<ExecutorTokens> Open(const std::string& key_file);

  std::string Issue(const ExecutorClaims& claims) const;
  // The claims of a token signed with this key; nullopt for anything else.
  std::optional<ExecutorClaims> Verify(std::string_view token) const;

 private:
  explicit ExecutorTokens(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_EXECUTOR_TOKEN_H_

// Small HTTP rules the master applies exactly as libprocess does: Accept
// negotiation and HTTP Basic credentials. Pure functions: no I/O.
#ifndef MLAUNCH_CLUSTER_HTTP_RULES_H_
#define MLAUNCH_CLUSTER_HTTP_RULES_H_

#include <optional>
#include <string>
#include <string_view>

namespace mlaunch::cluster {

// libprocess' Request::acceptsMediaType: a missing Accept header accepts
// everything; otherwise some listed range ("*/*", "type/*" or the exact
// type) must match with a q value above zero.
bool AcceptsMediaType(const std::optional<std::string>& accept,
                      std::string_view media_type);

struct BasicCredentials {
  std::string principal;
  std::string secret;
};

// Decodes "Basic base64(principal:secret)"; nullopt when malformed.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view value);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_HTTP_RULES_H_

// Small HTTP rules the master and the agents apply as libprocess does:
// the media of call bodies and of streams, Accept negotiation, HTTP Basic
// credentials. The status codes are Mesos'; the messages ours. Pure
// functions: no I/O.
#ifndef MLAUNCH_CLUSTER_HTTP_RULES_H_
#define MLAUNCH_CLUSTER_HTTP_RULES_H_

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mlaunch::cluster {

// libprocess' Request::acceptsMediaType: a missing Accept header accepts
// everything; otherwise some listed range ("*/*", "type/*" or the exact
// type) must match with a q value above zero.
bool AcceptsMediaType(const std::optional<std::string>& accept, std::string_view media_type);

inline constexpr char kProtobufMedia[] = "application/x-protobuf";
inline constexpr char kJsonMedia[] = "application/json";

// A request refused before its call is looked at.
struct HttpRefusal {
  int status;
  std::string message;
};

// Whether a call's body is JSON (else protobuf), from its Content-Type,
// compared exactly: 400 without one, 415 for any other type.
std::variant<bool, HttpRefusal> CallIsJson(const std::optional<std::string>& content_type);
// Whether a stream is sent as JSON (preferred) or protobuf, from the
// SUBSCRIBE's Accept header: 406 when it allows neither.
std::variant<bool, HttpRefusal> StreamIsJson(const std::optional<std::string>& accept);
// The 405 message for a method other than POST (sent with "Allow: POST").
std::string OnlyPost(std::string_view method);
// Our words for a call that broke a rule (400).
std::string Malformed(std::string_view why);

struct BasicCredentials {
  std::string principal;
  std::string secret;
};

// Decodes "Basic base64(principal:secret)"; nullopt when malformed.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view value);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_HTTP_RULES_H_

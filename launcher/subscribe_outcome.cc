#include "launcher/subscribe_outcome.h"

namespace mlaunch {
namespace {

using Kind = SubscribeOutcome::Kind;

SubscribeOutcome Of(Kind kind, std::string why) { return {kind, std::move(why), ""}; }

// After a 200: the subscription worked, or never quite did.
SubscribeOutcome AfterOk(const SubscribeAttempt& a) {
  if (!a.error_event.empty()) return Of(Kind::kFatal, "the master says: " + a.error_event);
  if (!a.subscribed) {
    return Of(Kind::kFailed, BaseOf(a.url) + " ended the subscription before SUBSCRIBED");
  }
  return Of(Kind::kDisconnected, !a.left.empty()      ? a.left
                                 : !a.silence.empty() ? a.silence
                                 : !a.broken.empty()  ? a.broken
                                 : !a.end.ok()        ? a.end.message()
                                                      : "the master closed the subscription");
}

}  // namespace

std::string BaseOf(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string ResolveLocation(const std::string& url, const std::string& location) {
  if (location.rfind("//", 0) == 0) return url.substr(0, url.find(':')) + ":" + location;
  if (!location.empty() && location[0] == '/') return BaseOf(url) + location;
  return location;
}

SubscribeOutcome ClassifySubscribe(const SubscribeAttempt& a) {
  const std::string master = BaseOf(a.url);
  const std::string status = std::to_string(a.status);
  if (!a.subscribed && !a.silence.empty()) return Of(Kind::kFailed, master + ": " + a.silence);
  switch (a.status) {
    case 307:
      if (!a.location) return Of(Kind::kFailed, a.url + " redirected without a Location");
      return {Kind::kRedirected, "", ResolveLocation(a.url, *a.location)};
    case 401:
    case 403:
      return Of(Kind::kFatal, master + " refused the framework (" + status + "): " + a.body);
    case 400:
    case 405:
    case 406:
    case 415:
      return Of(Kind::kFatal, master + " rejected SUBSCRIBE (" + status + "): " + a.body);
    case 200:
      return AfterOk(a);
    case 0:
      if (a.end.code() != StatusCode::kUntrusted) return Of(Kind::kFailed, a.end.message());
      // Trying again cannot help: the same certificate comes back.
      return Of(Kind::kFatal, "the TLS certificate of " + master +
                                  " is not trusted: " + a.end.message() +
                                  "; name the CA that signed it with --ca-file (or the spec's "
                                  "tls.ca_file), or skip verification with --insecure");
    default:
      return Of(Kind::kFailed,
                master + " answered " + status + (a.body.empty() ? "" : ": " + a.body));
  }
}

}  // namespace mlaunch

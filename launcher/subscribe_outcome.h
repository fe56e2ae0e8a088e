// What one SUBSCRIBE attempt came to, decided from what its stream showed:
// the pure half of MasterClient (launcher/master_client.h), which runs the
// attempt and then acts on the outcome here. The rules, in order:
//   - silence before SUBSCRIBED (the watchdog fired): try the next master;
//   - 307: follow Location (Mesos sends it without a scheme), or fail
//     without one;
//   - 401/403 (credentials) and 400/405/406/415 (a SUBSCRIBE the master
//     cannot take): fatal, trying again cannot help;
//   - 200: an ERROR event is fatal; an end before SUBSCRIBED is a failure;
//     otherwise the subscription worked and was lost (kDisconnected), and
//     `why` names the first cause of: the client left, silence, an
//     undecodable stream, the transport's error, the master closing it;
//   - no answer because the TLS certificate is not trusted: fatal, with how
//     to trust it; any other no-answer or status: try the next master.
#ifndef MLAUNCH_LAUNCHER_SUBSCRIBE_OUTCOME_H_
#define MLAUNCH_LAUNCHER_SUBSCRIBE_OUTCOME_H_

#include <optional>
#include <string>

#include "common/status.h"

namespace mlaunch {

// What a SUBSCRIBE attempt saw by the time its stream ended.
struct SubscribeAttempt {
  std::string url;                      // subscribed to: "http://host:port/api/v1/scheduler"
  int status = 0;                       // the HTTP status; 0: no answer
  std::optional<std::string> location;  // the Location header
  std::string body;                     // a non-200 answer's body, trimmed
  Status end;                           // how the transport ended
  bool subscribed = false;              // a SUBSCRIBED event came
  std::string error_event;              // an ERROR event's message
  std::string left;                     // why the client left a working subscription
  std::string silence;                  // the watchdog's reason, when it fired
  std::string broken;                   // why the stream could not be decoded
};

struct SubscribeOutcome {
  enum class Kind {
    kFailed,        // try the next master, then back off
    kRedirected,    // try `redirect`
    kDisconnected,  // it worked, then ended: subscribe again
    kFatal,         // the framework was refused: stop trying
    kStopped,       // the client is stopping (never from ClassifySubscribe)
  };
  Kind kind = Kind::kFailed;
  std::string why;       // for people; empty for kRedirected and kStopped
  std::string redirect;  // kRedirected: an absolute URL

  friend bool operator==(const SubscribeOutcome&, const SubscribeOutcome&) = default;
};

SubscribeOutcome ClassifySubscribe(const SubscribeAttempt& attempt);

// "http://host:port/path" -> "http://host:port"
std::string BaseOf(const std::string& url);

// A Location header made absolute against `url`: "//host:port/p" (as Mesos
// sends it) takes url's scheme, "/p" its scheme and authority.
std::string ResolveLocation(const std::string& url, const std::string& location);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_SUBSCRIBE_OUTCOME_H_

// MasterClient: the scheduler's connection to a Mesos master over the v1
// HTTP Scheduler API (docs/mesos-protocol.md, "Event streams (RecordIO)"). Transport only: it
// subscribes, decodes the event stream and sends calls; what to send is the
// scheduler core's business.
//
// SUBSCRIBE runs on a connection of its own and the response's
// Mesos-Stream-Id goes with every other call, which are sent on a second
// connection; 202 means accepted, anything else is an error carrying the
// master's own text. A 307 is followed to the leader named in Location
// (capped hops); 503 and connection failures are retried against the next
// master candidate, then after a capped exponential backoff with jitter.
// No bytes for 5 heartbeat intervals drops the subscription and reconnects;
// before SUBSCRIBED tells the interval, Mesos' default of 15 s is assumed, so
// a master that takes the connection and never answers is left too. When
// the masters list no longer holds the master subscribed to (a detector saw
// another leader), MastersChanged() leaves it for the new one.
// Every (re)subscription asks `subscribe_call` again, so a framework id
// learnt on the way is used. Framework-level refusals -- 401, 403, an ERROR
// event (then EOF) such as "Framework has been removed" -- end the client
// through on_fatal instead of reconnecting, and so does an https:// master
// whose certificate cannot be verified (StatusCode::kUntrusted from the
// HttpClient): the message says so and how to trust it.
//
// Thread-safety: Send() may be called from any thread. Callbacks run on the
// client's threads, one at a time per subscription, and must not call
// Stop(). Stop() blocks until the client's thread has ended.
#ifndef MLAUNCH_LAUNCHER_MASTER_CLIENT_H_
#define MLAUNCH_LAUNCHER_MASTER_CLIENT_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/http_client.h"
#include "common/status.h"
#include "launcher/subscribe_outcome.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch {

// How long to wait before the next round after `failures` failed rounds in
// a row (>= 1): backoff_min doubling per failure, capped at backoff_max, times
// (0.5 + 0.5 * jitter) for a jitter in [0, 1).
std::chrono::milliseconds BackoffDelay(int failures, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max, double jitter);

class MasterClient {
 public:
  struct Options {
    // Base URLs of the masters to try, in order ("http://host:5050"); asked
    // again before each round, so a detector can change them.
    std::function<std::vector<std::string>()> masters;
    HttpClient::Options http;  // TLS, basic auth, timeouts of calls
    std::chrono::milliseconds backoff_min{500};
    std::chrono::milliseconds backoff_max{15000};
    int max_redirects = 5;
    double heartbeat_misses = 5;  // intervals of silence before reconnecting
    std::size_t max_record_bytes = 64 * 1024 * 1024;
    // In [0, 1): each wait is base * (0.5 + 0.5 * jitter()), so clients
    // restarted together spread out. Default: uniformly random.
    std::function<double()> jitter;
  };

  // An event as decoded from the stream, in a protobuf arena of its own that
  // the pointer keeps alive. An OFFERS event of 10,000 offers is some 200,000
  // small messages; the arena takes them from a few large blocks and frees
  // them at once, and the event is read in place, never copied.
  using EventPtr = std::shared_ptr<const mesos::v1::scheduler::Event>;

  struct Callbacks {
    std::function<void(EventPtr event)> on_event;
    // The subscription ended; the client reconnects by itself.
    std::function<void(const std::string& why)> on_disconnected;
    // The master refused the framework; the client has stopped trying.
    std::function<void(const std::string& why)> on_fatal;
  };

  MasterClient(HttpClient& http, Options options, Callbacks callbacks);
  ~MasterClient();
  MasterClient(const MasterClient&) = delete;
  MasterClient& operator=(const MasterClient&) = delete;

  // Starts subscribing (on a thread of the client's).
  void Start(std::function<mesos::v1::scheduler::Call()> subscribe_call);
  // Sends a call to the master the subscription is with. kBusy when the
  // master answered 503 (it did nothing; the call may be sent again), the
  // HttpClient's code when no answer came, kInvalidData for any other status.
  Status Send(const mesos::v1::scheduler::Call& call);
  void Stop();
  // The masters() list may have changed (a detector saw a new leader): a
  // retry waiting out its backoff starts now, and the backoff starts again
  // from backoff_min; a subscription to a master no longer in the list ends
  // and the new list is tried. Any thread.
  void MastersChanged();

  // The master subscribed to ("http://host:port"), empty when none.
  std::string leader() const;

 private:
  struct Attempt;

  void Run();
  // One SUBSCRIBE to `url`, from opening the stream to its end (decided by
  // ClassifySubscribe, launcher/subscribe_outcome.h).
  SubscribeOutcome SubscribeOnce(const std::string& url);
  HttpClient::StreamCallbacks Follow(std::shared_ptr<Attempt> attempt);
  // Waits for the attempt's stream to end, cancelling it on Stop(), on
  // MastersChanged() leaving its master (noted in seen.left) or after
  // heartbeat_misses intervals of silence (noted in seen.silence). The one
  // place that cancels a subscription's stream.
  void AwaitEnd(Attempt& attempt);
  bool SleepFor(std::chrono::milliseconds wait);  // false when stopping

  HttpClient& http_;
  Options options_;
  Callbacks callbacks_;
  std::function<mesos::v1::scheduler::Call()> subscribe_call_;
  std::thread thread_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool masters_changed_ = false;  // wakes the backoff; cleared by each round
  std::string leader_;            // base URL
  std::string stream_id_;         // of the current subscription
  std::shared_ptr<Attempt> current_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_MASTER_CLIENT_H_

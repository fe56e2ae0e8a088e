#include "launcher/master_client.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <cmath>

#include "common/random_ids.h"
#include "common/recordio.h"
#include "common/text.h"
#include "launcher/subscribe_outcome.h"

namespace mlaunch {
namespace {

namespace sched = mesos::v1::scheduler;
using Clock = std::chrono::steady_clock;

constexpr const char* kProtobuf = "application/x-protobuf";
constexpr std::size_t kMaxErrorBody = 4096;

std::string Trimmed(std::string_view text) { return std::string(TrimSpace(text)); }

}  // namespace

std::chrono::milliseconds BackoffDelay(int failures, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max, double jitter) {
  double base = static_cast<double>(min.count()) * std::pow(2.0, std::clamp(failures - 1, 0, 62));
  base = std::min(base, static_cast<double>(max.count()));
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(base * (0.5 + 0.5 * jitter)));
}

// One SUBSCRIBE: its stream, what it has shown so far, and the decoder of
// its events. Shared by the client's thread and the stream's callbacks,
// under `mutex`; every change is notified on `changed`.
struct MasterClient::Attempt {
  Attempt(const std::string& url, std::size_t max_record) : decoder(max_record) { seen.url = url; }

  // Decodes `bytes` of a 200 answer into events (the error body of any
  // other answer is kept, capped), noting SUBSCRIBED's heartbeat and an
  // ERROR's message. REQUIRES: mutex held.
  std::vector<EventPtr> Take(std::string_view bytes);

  std::mutex mutex;
  std::condition_variable changed;
  bool ended = false;
  SubscribeAttempt seen;   // what the outcome is decided from
  std::string error_body;  // as received, at most kMaxErrorBody bytes
  double heartbeat_seconds = 15;
  Clock::time_point last_bytes = Clock::now();
  RecordIODecoder decoder;
  std::unique_ptr<HttpClient::Stream> stream;
};

std::vector<MasterClient::EventPtr> MasterClient::Attempt::Take(std::string_view bytes) {
  last_bytes = Clock::now();
  if (seen.status != 200) {
    error_body.append(bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, error_body.size())));
    return {};
  }
  std::vector<EventPtr> events;
  std::vector<std::string> records;
  Status fed = decoder.Feed(bytes, &records);
  for (const std::string& record : records) {
    auto arena = std::make_shared<google::protobuf::Arena>();
    auto* event = google::protobuf::Arena::CreateMessage<sched::Event>(arena.get());
    if (!event->ParseFromString(record)) {
      seen.broken = "the master sent an event that is not a scheduler Event";
      break;
    }
    if (event->type() == sched::Event::SUBSCRIBED) {
      seen.subscribed = true;
      if (event->subscribed().has_heartbeat_interval_seconds()) {
        heartbeat_seconds = event->subscribed().heartbeat_interval_seconds();
      }
    } else if (event->type() == sched::Event::ERROR) {
      seen.error_event = event->error().message();
    }
    events.push_back(EventPtr(std::move(arena), event));  // owns the arena
  }
  if (!fed.ok() && seen.broken.empty()) seen.broken = fed.message();
  return events;
}

MasterClient::MasterClient(HttpClient& http, Options options, Callbacks callbacks)
    : http_(http), options_(std::move(options)), callbacks_(std::move(callbacks)) {
  if (!options_.jitter) options_.jitter = RandomFraction;
}

MasterClient::~MasterClient() { Stop(); }

void MasterClient::Start(std::function<sched::Call()> subscribe_call) {
  subscribe_call_ = std::move(subscribe_call);
  thread_ = std::thread([this] { Run(); });
}

void MasterClient::Stop() {
  std::shared_ptr<Attempt> current;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    current = current_;
  }
  wake_.notify_all();
  if (current) {
    std::lock_guard<std::mutex> lock(current->mutex);  // AwaitEnd() cancels
    current->changed.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::string MasterClient::leader() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return leader_;
}

void MasterClient::MastersChanged() {
  std::shared_ptr<Attempt> current;
  std::string leader;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    masters_changed_ = true;
    current = current_;
    leader = leader_;
  }
  wake_.notify_all();
  if (!current || leader.empty() || !options_.masters) return;
  std::vector<std::string> masters = options_.masters();
  if (std::find(masters.begin(), masters.end(), leader) != masters.end()) return;
  std::lock_guard<std::mutex> lock(current->mutex);  // AwaitEnd() cancels
  current->seen.left = leader + " no longer leads (now " +
                       (masters.empty() ? std::string("no leader is known") : masters.front()) +
                       ")";
  current->changed.notify_all();
}

bool MasterClient::SleepFor(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, wait, [this] { return stopping_ || masters_changed_; });
  return !stopping_;
}

Status MasterClient::Send(const sched::Call& call) {
  std::string leader, stream_id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    leader = leader_;
    stream_id = stream_id_;
  }
  std::string type = sched::Call::Type_Name(call.type());
  if (leader.empty()) {
    return Status::Error(StatusCode::kUnavailable, type + " not sent: not subscribed to a master");
  }
  HttpHeaders headers{{"Content-Type", kProtobuf}, {"Accept", kProtobuf}};
  if (!stream_id.empty()) headers.Add("Mesos-Stream-Id", stream_id);
  Result<HttpClient::Response> response =
      http_.Post(leader + "/api/v1/scheduler", headers, call.SerializeAsString(), options_.http);
  if (!response.ok()) return response.status();
  if (response.value().status == 202) return Status::Ok();
  if (response.value().status == 503) {
    return Status::Error(StatusCode::kBusy, "the master answered 503 to " + type + ": " +
                                                Trimmed(response.value().body));
  }
  return Status::InvalidData("the master answered " + std::to_string(response.value().status) +
                             " to " + type + ": " + Trimmed(response.value().body));
}

HttpClient::StreamCallbacks MasterClient::Follow(std::shared_ptr<Attempt> attempt) {
  HttpClient::StreamCallbacks callbacks;
  callbacks.on_headers = [this, attempt](int status, const HttpHeaders& headers) {
    std::lock_guard<std::mutex> lock(attempt->mutex);
    attempt->seen.status = status;
    attempt->seen.location = headers.Get("Location");
    attempt->last_bytes = Clock::now();
    if (status == 200) {
      std::lock_guard<std::mutex> client(mutex_);
      leader_ = BaseOf(attempt->seen.url);
      stream_id_ = headers.Get("Mesos-Stream-Id").value_or("");
    }
    return true;
  };
  callbacks.on_bytes = [this, attempt](std::string_view bytes) {
    std::vector<EventPtr> events;
    {
      std::lock_guard<std::mutex> lock(attempt->mutex);
      events = attempt->Take(bytes);
    }
    attempt->changed.notify_all();
    for (EventPtr& event : events) {
      if (callbacks_.on_event) callbacks_.on_event(std::move(event));
    }
    std::lock_guard<std::mutex> lock(attempt->mutex);
    return attempt->seen.broken.empty();
  };
  callbacks.on_end = [attempt](const Status& status) {
    std::lock_guard<std::mutex> lock(attempt->mutex);
    attempt->ended = true;
    attempt->seen.end = status;
    if (status.ok() && attempt->seen.status == 200 && attempt->seen.broken.empty()) {
      Status finished = attempt->decoder.Finish();
      if (!finished.ok()) {
        attempt->seen.broken = "the stream ended inside an event: " + finished.message();
      }
    }
    attempt->changed.notify_all();
  };
  return callbacks;
}

void MasterClient::AwaitEnd(Attempt& attempt) {
  std::unique_lock<std::mutex> lock(attempt.mutex);
  // Every reason to stop waiting is notified on `changed`: bytes, the end of
  // the stream, Stop() (after setting stopping_) and MastersChanged() (after
  // setting seen.left), so no polling. Either may come before the stream is
  // stored in `attempt`, even before its first bytes: only this loop cancels.
  while (!attempt.ended) {
    bool stopping;
    {
      std::lock_guard<std::mutex> client(mutex_);
      stopping = stopping_;
    }
    if (stopping || !attempt.seen.left.empty()) break;
    auto silence =
        std::chrono::duration<double>(attempt.heartbeat_seconds * options_.heartbeat_misses);
    auto deadline = attempt.last_bytes + std::chrono::duration_cast<Clock::duration>(silence);
    if (Clock::now() >= deadline) {
      char text[96];
      std::snprintf(
          text, sizeof(text),
          attempt.seen.subscribed ? "no heartbeat for %.1fs" : "no answer to SUBSCRIBE for %.1fs",
          silence.count());
      attempt.seen.silence = text;
      break;
    }
    attempt.changed.wait_until(lock, deadline);
  }
  attempt.stream->Cancel();  // nothing when it has ended
  attempt.changed.wait(lock, [&] { return attempt.ended; });
}

SubscribeOutcome MasterClient::SubscribeOnce(const std::string& url) {
  auto attempt = std::make_shared<Attempt>(url, options_.max_record_bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return {SubscribeOutcome::Kind::kStopped, "", ""};
    current_ = attempt;
  }
  HttpHeaders headers{{"Content-Type", kProtobuf}, {"Accept", kProtobuf}};
  std::unique_ptr<HttpClient::Stream> stream = http_.OpenStream(
      url, headers, subscribe_call_().SerializeAsString(), options_.http, Follow(attempt));
  {
    std::lock_guard<std::mutex> lock(attempt->mutex);
    attempt->stream = std::move(stream);
  }
  AwaitEnd(*attempt);
  // The stream's threads are done with `attempt` once it has ended.
  std::unique_ptr<HttpClient::Stream> finished;
  {
    std::lock_guard<std::mutex> lock(attempt->mutex);
    finished = std::move(attempt->stream);
  }
  finished.reset();
  {
    std::lock_guard<std::mutex> client(mutex_);
    current_.reset();
    leader_.clear();
    stream_id_.clear();
    if (stopping_) return {SubscribeOutcome::Kind::kStopped, "", ""};
  }
  std::lock_guard<std::mutex> lock(attempt->mutex);
  attempt->seen.body = Trimmed(attempt->error_body);
  return ClassifySubscribe(attempt->seen);
}

void MasterClient::Run() {
  int failures = 0;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A new leader starts a fresh backoff: failures against the old one
      // say nothing about it.
      if (masters_changed_) failures = 0;
      masters_changed_ = false;  // this round asks for the masters afresh
    }
    std::vector<std::string> candidates =
        options_.masters ? options_.masters() : std::vector<std::string>{};
    bool was_subscribed = false;
    std::string last_why = candidates.empty() ? "no master is known" : "";
    for (const std::string& base : candidates) {
      std::string url = base + "/api/v1/scheduler";
      int hops = 0;
      while (true) {
        SubscribeOutcome ended = SubscribeOnce(url);
        if (ended.kind == SubscribeOutcome::Kind::kStopped) return;
        if (ended.kind == SubscribeOutcome::Kind::kFatal) {
          if (callbacks_.on_fatal) callbacks_.on_fatal(ended.why);
          return;
        }
        if (ended.kind == SubscribeOutcome::Kind::kRedirected) {
          if (++hops > options_.max_redirects) {
            last_why = "more than " + std::to_string(options_.max_redirects) +
                       " redirects, last to " + ended.redirect;
            break;
          }
          url = ended.redirect;
          continue;
        }
        last_why = ended.why;
        was_subscribed = ended.kind == SubscribeOutcome::Kind::kDisconnected;
        break;
      }
      if (was_subscribed) break;
    }
    failures = was_subscribed ? 0 : failures + 1;
    auto wait =
        BackoffDelay(failures, options_.backoff_min, options_.backoff_max, options_.jitter());
    if (callbacks_.on_disconnected) {
      char text[48];
      std::snprintf(text, sizeof(text), "; retrying in %.1fs",
                    static_cast<double>(wait.count()) / 1000.0);
      callbacks_.on_disconnected(last_why + text);
    }
    if (!SleepFor(wait)) return;
  }
}

}  // namespace mlaunch

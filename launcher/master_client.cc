#include "launcher/master_client.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <cmath>

#include "common/random_ids.h"
#include "common/recordio.h"
#include "common/text.h"

namespace mlaunch {
namespace {

namespace sched = mesos::v1::scheduler;
using Clock = std::chrono::steady_clock;

constexpr const char* kProtobuf = "application/x-protobuf";
constexpr std::size_t kMaxErrorBody = 4096;

// "http://host:port/path" -> "http://host:port"
std::string BaseOf(const std::string& url) {
  size_t scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

// A Location header, which Mesos sends without a scheme
// ("//host:port/master/api/v1/scheduler"), made absolute against `url`.
std::string Resolve(const std::string& url, const std::string& location) {
  if (location.rfind("//", 0) == 0) return url.substr(0, url.find(':')) + ":" + location;
  if (!location.empty() && location[0] == '/') return BaseOf(url) + location;
  return location;
}

std::string Trimmed(std::string_view text) { return std::string(TrimSpace(text)); }

}  // namespace

std::chrono::milliseconds BackoffDelay(int failures, std::chrono::milliseconds min,
                                       std::chrono::milliseconds max, double jitter) {
  double base = static_cast<double>(min.count()) * std::pow(2.0, std::clamp(failures - 1, 0, 62));
  base = std::min(base, static_cast<double>(max.count()));
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(base * (0.5 + 0.5 * jitter)));
}

struct MasterClient::Attempt {
  explicit Attempt(std::size_t max_record) : decoder(max_record) {}

  std::mutex mutex;
  std::condition_variable changed;
  bool ended = false;
  Status end_status;
  int status = 0;
  HttpHeaders headers;
  std::string error_body;
  bool subscribed = false;
  double heartbeat_seconds = 15;
  Clock::time_point last_bytes = Clock::now();
  std::string error_event;  // the message of an ERROR event
  std::string left;         // why the client left a working subscription
  std::string broken;       // why the stream could not be decoded
  RecordIODecoder decoder;
  std::unique_ptr<HttpClient::Stream> stream;
};

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
    std::lock_guard<std::mutex> lock(current->mutex);
    if (current->stream) current->stream->Cancel();
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
  std::lock_guard<std::mutex> lock(current->mutex);
  current->left = leader + " no longer leads (now " +
                  (masters.empty() ? std::string("no leader is known") : masters.front()) + ")";
  if (current->stream) current->stream->Cancel();
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

MasterClient::Ended MasterClient::SubscribeOnce(const std::string& url, std::string* redirect,
                                                std::string* why) {
  auto attempt = std::make_shared<Attempt>(options_.max_record_bytes);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return Ended::kStopped;
    current_ = attempt;
  }

  HttpClient::StreamCallbacks callbacks;
  callbacks.on_headers = [this, attempt, url](int status, const HttpHeaders& headers) {
    std::lock_guard<std::mutex> lock(attempt->mutex);
    attempt->status = status;
    attempt->headers = headers;
    attempt->last_bytes = Clock::now();
    if (status == 200) {
      std::lock_guard<std::mutex> client(mutex_);
      leader_ = BaseOf(url);
      stream_id_ = headers.Get("Mesos-Stream-Id").value_or("");
    }
    return true;
  };
  callbacks.on_bytes = [this, attempt](std::string_view bytes) {
    std::vector<EventPtr> events;
    {
      std::lock_guard<std::mutex> lock(attempt->mutex);
      attempt->last_bytes = Clock::now();
      if (attempt->status != 200) {
        attempt->error_body.append(
            bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, attempt->error_body.size())));
        return true;
      }
      std::vector<std::string> records;
      Status fed = attempt->decoder.Feed(bytes, &records);
      for (const std::string& record : records) {
        auto arena = std::make_shared<google::protobuf::Arena>();
        auto* event = google::protobuf::Arena::CreateMessage<sched::Event>(arena.get());
        if (!event->ParseFromString(record)) {
          attempt->broken = "the master sent an event that is not a scheduler Event";
          break;
        }
        if (event->type() == sched::Event::SUBSCRIBED) {
          attempt->subscribed = true;
          if (event->subscribed().has_heartbeat_interval_seconds()) {
            attempt->heartbeat_seconds = event->subscribed().heartbeat_interval_seconds();
          }
        } else if (event->type() == sched::Event::ERROR) {
          attempt->error_event = event->error().message();
        }
        events.push_back(EventPtr(std::move(arena), event));  // owns the arena
      }
      if (!fed.ok() && attempt->broken.empty()) attempt->broken = fed.message();
    }
    attempt->changed.notify_all();
    for (EventPtr& event : events) {
      if (callbacks_.on_event) callbacks_.on_event(std::move(event));
    }
    std::lock_guard<std::mutex> lock(attempt->mutex);
    return attempt->broken.empty();
  };
  callbacks.on_end = [attempt](const Status& status) {
    std::lock_guard<std::mutex> lock(attempt->mutex);
    attempt->ended = true;
    attempt->end_status = status;
    if (status.ok() && attempt->status == 200 && attempt->broken.empty()) {
      Status finished = attempt->decoder.Finish();
      if (!finished.ok())
        attempt->broken = "the stream ended inside an event: " + finished.message();
    }
    attempt->changed.notify_all();
  };

  HttpHeaders headers{{"Content-Type", kProtobuf}, {"Accept", kProtobuf}};
  std::unique_ptr<HttpClient::Stream> stream = http_.OpenStream(
      url, headers, subscribe_call_().SerializeAsString(), options_.http, std::move(callbacks));

  std::string watchdog;
  {
    std::unique_lock<std::mutex> lock(attempt->mutex);
    attempt->stream = std::move(stream);
    while (!attempt->ended) {
      bool stopping;
      {
        std::lock_guard<std::mutex> client(mutex_);
        stopping = stopping_;
      }
      if (stopping) {
        attempt->stream->Cancel();
        attempt->changed.wait(lock, [&] { return attempt->ended; });
        break;
      }
      // Every change waited for is notified on `changed`: bytes, the end of
      // the stream, and Stop() (after setting stopping_), so no polling.
      if (!watchdog.empty()) {
        attempt->changed.wait(lock);
        continue;
      }
      auto silence =
          std::chrono::duration<double>(attempt->heartbeat_seconds * options_.heartbeat_misses);
      auto deadline = attempt->last_bytes + std::chrono::duration_cast<Clock::duration>(silence);
      if (Clock::now() >= deadline) {
        char text[96];
        std::snprintf(
            text, sizeof(text),
            attempt->subscribed ? "no heartbeat for %.1fs" : "no answer to SUBSCRIBE for %.1fs",
            silence.count());
        watchdog = text;
        attempt->stream->Cancel();
        continue;
      }
      attempt->changed.wait_until(lock, deadline);
    }
  }
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
    if (stopping_) return Ended::kStopped;
  }

  std::lock_guard<std::mutex> lock(attempt->mutex);
  int status = attempt->status;
  std::string body = Trimmed(attempt->error_body);
  if (!attempt->subscribed && !watchdog.empty()) {
    *why = BaseOf(url) + ": " + watchdog;
    return Ended::kFailed;
  }
  if (status == 307) {
    std::optional<std::string> location = attempt->headers.Get("Location");
    if (!location) {
      *why = url + " redirected without a Location";
      return Ended::kFailed;
    }
    *redirect = Resolve(url, *location);
    return Ended::kRedirected;
  }
  if (status == 401 || status == 403) {
    *why = BaseOf(url) + " refused the framework (" + std::to_string(status) + "): " + body;
    return Ended::kFatal;
  }
  if (status == 400 || status == 405 || status == 406 || status == 415) {
    *why = BaseOf(url) + " rejected SUBSCRIBE (" + std::to_string(status) + "): " + body;
    return Ended::kFatal;
  }
  if (status == 200) {
    if (!attempt->error_event.empty()) {
      *why = "the master says: " + attempt->error_event;
      return Ended::kFatal;
    }
    if (!attempt->subscribed) {
      *why = BaseOf(url) + " ended the subscription before SUBSCRIBED";
      return Ended::kFailed;
    }
    *why = !attempt->left.empty()      ? attempt->left
           : !watchdog.empty()         ? watchdog
           : !attempt->broken.empty()  ? attempt->broken
           : !attempt->end_status.ok() ? attempt->end_status.message()
                                       : "the master closed the subscription";
    return Ended::kDisconnected;
  }
  if (status == 0 && attempt->end_status.code() == StatusCode::kUntrusted) {
    // Trying again cannot help: the same certificate comes back.
    *why = "the TLS certificate of " + BaseOf(url) +
           " is not trusted: " + attempt->end_status.message() +
           "; name the CA that signed it with --ca-file (or the spec's tls.ca_file), "
           "or skip verification with --insecure";
    return Ended::kFatal;
  }
  if (status == 0) {
    *why = attempt->end_status.message();
  } else {
    *why = BaseOf(url) + " answered " + std::to_string(status) + (body.empty() ? "" : ": " + body);
  }
  return Ended::kFailed;
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
        std::string redirect, why;
        Ended ended = SubscribeOnce(url, &redirect, &why);
        if (ended == Ended::kStopped) return;
        if (ended == Ended::kFatal) {
          if (callbacks_.on_fatal) callbacks_.on_fatal(why);
          return;
        }
        if (ended == Ended::kRedirected) {
          if (++hops > options_.max_redirects) {
            last_why = "more than " + std::to_string(options_.max_redirects) +
                       " redirects, last to " + redirect;
            break;
          }
          url = redirect;
          continue;
        }
        last_why = why;
        was_subscribed = ended == Ended::kDisconnected;
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

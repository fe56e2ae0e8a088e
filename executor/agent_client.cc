#include "executor/agent_client.h"

#include <atomic>
#include <utility>
#include <vector>

#include "common/recordio.h"

namespace mlaunch::executor {

namespace v1exec = mesos::v1::executor;

namespace {

constexpr char kProtobuf[] = "application/x-protobuf";

HttpHeaders HeadersFor(const AgentLink& link) {
  HttpHeaders headers;
  headers.Add("Content-Type", kProtobuf);
  headers.Add("Accept", kProtobuf);
  if (!link.token.empty()) headers.Add("Authorization", "Bearer " + link.token);
  return headers;
}

HttpClient::Options OptionsFor(const AgentLink& link, HttpClient::Options options) {
  options.insecure = link.tls && !link.verify_tls;
  options.ca_file = link.ca_file;
  return options;
}

}  // namespace

// One subscription: its decoder and what went wrong, shared with the
// stream's callbacks.
struct AgentClient::Attempt {
  RecordIODecoder decoder;
  int status = 0;
  std::string error_body;             // the body of a refused SUBSCRIBE
  std::string why;                    // set by a callback that stopped the stream
  std::atomic<bool> silenced{false};  // Stop() or a newer Subscribe()
};

AgentClient::AgentClient(HttpClient& http, const AgentLink& link, Callbacks callbacks,
                         HttpClient::Options options)
    : http_(http),
      url_(std::string(link.tls ? "https://" : "http://") + link.endpoint + "/api/v1/executor"),
      headers_(HeadersFor(link)),
      callbacks_(std::move(callbacks)),
      options_(OptionsFor(link, std::move(options))) {}

AgentClient::~AgentClient() { Stop(); }

void AgentClient::Subscribe(const v1exec::Call& subscribe) {
  Stop();
  auto attempt = std::make_shared<Attempt>();
  HttpClient::StreamCallbacks callbacks;
  callbacks.on_headers = [attempt](int status, const HttpHeaders&) {
    attempt->status = status;
    return true;
  };
  callbacks.on_bytes = [this, attempt](std::string_view bytes) {
    if (attempt->status != 200) {
      attempt->error_body.append(
          bytes.substr(0, 4096 - std::min<size_t>(4096, attempt->error_body.size())));
      return true;
    }
    std::vector<std::string> records;
    Status decoded = attempt->decoder.Feed(bytes, &records);
    for (const std::string& record : records) {
      v1exec::Event event;
      if (!event.ParseFromString(record)) {
        attempt->why = "the agent sent an event that is not a valid protobuf Event";
        return false;
      }
      if (!attempt->silenced && callbacks_.on_event) callbacks_.on_event(event);
    }
    if (!decoded.ok()) {
      attempt->why = "the agent's event stream is not valid RecordIO: " + decoded.message();
      return false;
    }
    return true;
  };
  callbacks.on_end = [this, attempt](const Status& status) {
    if (attempt->silenced) return;
    std::string why = attempt->why;
    if (why.empty()) {
      if (attempt->status != 0 && attempt->status != 200) {
        why = "SUBSCRIBE to " + url_ + " was answered " + std::to_string(attempt->status) +
              (attempt->error_body.empty() ? "" : ": " + attempt->error_body);
      } else if (!status.ok()) {
        why = status.message();
      } else {
        why = "the agent ended the event stream";
      }
    }
    if (callbacks_.on_disconnected) callbacks_.on_disconnected(why);
  };
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = attempt;
  stream_ = http_.OpenStream(url_, headers_, subscribe.SerializeAsString(), options_,
                             std::move(callbacks));
}

Status AgentClient::Send(const v1exec::Call& call) {
  Result<HttpClient::Response> response =
      http_.Post(url_, headers_, call.SerializeAsString(), options_);
  if (!response.ok()) return response.status();
  if (response->status != 202) {
    return Status::Error(StatusCode::kUnavailable,
                         v1exec::Call::Type_Name(call.type()) + " to " + url_ + " was answered " +
                             std::to_string(response->status) +
                             (response->body.empty() ? "" : ": " + response->body));
  }
  return Status::Ok();
}

void AgentClient::Stop() {
  std::unique_ptr<HttpClient::Stream> stream;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (current_) current_->silenced = true;
    current_.reset();
    stream = std::move(stream_);
  }
  if (stream) {
    stream->Cancel();
    (void)stream->Wait();
  }
}

}  // namespace mlaunch::executor

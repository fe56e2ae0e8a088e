// FakeMaster: a master's scheduler endpoint (/api/v1/scheduler) for the
// launcher's tests, served by the project's HTTP server on a free loopback
// port. It decodes each call, records it, and answers as the test scripts:
// `subscribe` answers each SUBSCRIBE (given how many came before it, from
// 1), `call` every other call (given its Mesos-Stream-Id, "" without one;
// 202 when no script is given). A script that streams events keeps the
// stream Stream() gives it and writes RecordIO records to it.
//
// Threads: the scripts run on the server's threads, one call at a time per
// connection; the accessors may be called from any thread.
#ifndef MLAUNCH_TESTS_FAKES_FAKE_MASTER_H_
#define MLAUNCH_TESTS_FAKES_FAKE_MASTER_H_

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/http_server.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch::testing {

class FakeMaster {
 public:
  using Call = mesos::v1::scheduler::Call;
  using SubscribeScript = std::function<HttpServer::Response(const Call&, int attempt)>;
  using CallScript = std::function<HttpServer::Response(const Call&, const std::string& stream_id)>;

  explicit FakeMaster(SubscribeScript subscribe, CallScript call = {})
      : subscribe_(std::move(subscribe)), call_(std::move(call)) {
    auto server = HttpServer::Start({}, [this](const HttpServer::Request& r) { return Handle(r); });
    EXPECT_TRUE(server.ok()) << server.message();
    if (server.ok()) server_ = std::move(server).value();
  }
  ~FakeMaster() {
    if (server_) server_->Stop();
  }
  FakeMaster(const FakeMaster&) = delete;
  FakeMaster& operator=(const FakeMaster&) = delete;

  std::string url() const { return server_ ? server_->url() : ""; }

  // Waits (at most 10 s) until `n` SUBSCRIBEs came.
  bool AwaitSubscribes(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return subscribes_ >= n; });
  }
  // Every call but SUBSCRIBE, with its Mesos-Stream-Id, in arrival order.
  std::vector<std::pair<std::string, Call>> calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  std::vector<Call> subscribe_calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return subscribe_calls_;
  }
  std::vector<HttpHeaders> subscribe_headers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return subscribe_headers_;
  }

  // A SUBSCRIBE's 200 answer, a stream with `id` as its Mesos-Stream-Id;
  // `keep` gets the stream, to write events to and close.
  static HttpServer::Response Stream(std::shared_ptr<ResponseStream>* keep, const std::string& id) {
    auto stream = std::make_shared<ResponseStream>();
    *keep = stream;
    HttpServer::Response r;
    r.status = 200;
    r.headers.Add("Content-Type", "application/x-protobuf");
    r.headers.Add("Mesos-Stream-Id", id);
    r.stream = stream;
    return r;
  }

 private:
  HttpServer::Response Handle(const HttpServer::Request& r) {
    Call call;
    if (!call.ParseFromString(r.body)) return HttpServer::Response::Text(400, "bad call");
    const std::string stream_id = r.headers.Get("Mesos-Stream-Id").value_or("");
    if (call.type() == Call::SUBSCRIBE) {
      int attempt;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        attempt = ++subscribes_;
        subscribe_calls_.push_back(call);
        subscribe_headers_.push_back(r.headers);
      }
      changed_.notify_all();
      return subscribe_(call, attempt);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      calls_.emplace_back(stream_id, call);
    }
    if (call_) return call_(call, stream_id);
    return HttpServer::Response::Empty(202);
  }

  const SubscribeScript subscribe_;
  const CallScript call_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int subscribes_ = 0;
  std::vector<Call> subscribe_calls_;
  std::vector<HttpHeaders> subscribe_headers_;
  std::vector<std::pair<std::string, Call>> calls_;
  std::unique_ptr<HttpServer> server_;  // last: stopped before the rest goes
};

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_FAKES_FAKE_MASTER_H_

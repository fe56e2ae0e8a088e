// The HttpClient contract (common/http_client.h), one suite run against
// both implementations -- CurlHttpClient (mesos-launch, the cluster's
// fetcher) and BeastHttpClient (the executor) -- and then what each adds,
// against the project's HttpServer on a loopback port 0. Waiting is done on
// condition variables with a deadline, never by sleeping.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/beast_http_client.h"
#include "common/curl_http_client.h"
#include "common/http_server.h"
#include "common/recordio.h"
#include "tests/fakes/closed_port.h"
#include "tests/fakes/http_clients.h"

namespace mlaunch {
namespace {

using std::string_literals::operator""s;

constexpr auto kDeadline = std::chrono::seconds(10);

// Signals between a handler on a server thread and the test thread.
class Latch {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// Hands a stream made by a handler to the test, and reports its end.
class StreamSlot {
 public:
  std::shared_ptr<ResponseStream> Make() {
    auto stream = std::make_shared<ResponseStream>();
    stream->OnEnd([this] { ended_.Open(); });
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stream_ = stream;
    }
    made_.Open();
    return stream;
  }
  std::shared_ptr<ResponseStream> Wait() {
    if (!made_.Wait()) return nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    return stream_;
  }
  bool WaitForEnd() { return ended_.Wait(); }

 private:
  std::mutex mutex_;
  std::shared_ptr<ResponseStream> stream_;
  Latch made_;
  Latch ended_;
};

// A server whose handler the test replaces, and which remembers requests;
// `client_` is the implementation under test.
template <typename Client>
class HttpClientContract : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = HttpServer::Start({}, [this](const HttpServer::Request& request) {
      std::function<HttpServer::Response(const HttpServer::Request&)> handler;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back(request);
        handler = handler_;
      }
      return handler(request);
    });
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = std::move(started).value();
  }

  // The server goes first: its handlers use everything else here.
  void TearDown() override {
    release_.Open();
    server_.reset();
  }

  void Handle(std::function<HttpServer::Response(const HttpServer::Request&)> handler) {
    std::lock_guard<std::mutex> lock(mutex_);
    handler_ = std::move(handler);
  }

  std::vector<HttpServer::Request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  std::string Url(const std::string& path) { return server_->url() + path; }

  Client client_;
  HttpClient::Options options_;
  StreamSlot slot_;  // for handlers that stream
  Latch release_;    // for handlers that wait
  std::unique_ptr<HttpServer> server_;

 private:
  std::mutex mutex_;
  std::function<HttpServer::Response(const HttpServer::Request&)> handler_ =
      [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); };
  std::vector<HttpServer::Request> requests_;
};

// What a stream delivered, filled in on the stream's thread.
class StreamRecorder {
 public:
  HttpClient::StreamCallbacks Callbacks(bool keep_going = true) {
    HttpClient::StreamCallbacks callbacks;
    callbacks.on_headers = [this](int status, const HttpHeaders& headers) {
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
      headers_ = headers;
      changed_.notify_all();
      return true;
    };
    callbacks.on_bytes = [this, keep_going](std::string_view bytes) {
      std::lock_guard<std::mutex> lock(mutex_);
      bytes_.append(bytes);
      decode_status_ = decoder_.Feed(bytes, &records_);
      changed_.notify_all();
      return keep_going;
    };
    callbacks.on_end = [this](const Status& status) {
      std::lock_guard<std::mutex> lock(mutex_);
      ended_ = true;
      end_status_ = status;
      end_time_ = std::chrono::steady_clock::now();
      changed_.notify_all();
    };
    return callbacks;
  }

  bool WaitForEnd() {
    return WaitUntil([&] { return ended_; });
  }

  bool WaitForHeaders() {
    return WaitUntil([&] { return status_ != 0; });
  }
  bool WaitForBytes() {
    return WaitUntil([&] { return !bytes_.empty(); });
  }
  bool WaitForRecords(std::size_t count) {
    return WaitUntil([&] { return records_.size() >= count; });
  }

  std::vector<std::string> records() {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_;
  }
  int status() {
    std::lock_guard<std::mutex> lock(mutex_);
    return status_;
  }
  HttpHeaders headers() {
    std::lock_guard<std::mutex> lock(mutex_);
    return headers_;
  }
  std::string bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bytes_;
  }
  Status end_status() {
    std::lock_guard<std::mutex> lock(mutex_);
    return end_status_;
  }
  std::chrono::steady_clock::time_point end_time() {
    std::lock_guard<std::mutex> lock(mutex_);
    return end_time_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int status_ = 0;
  HttpHeaders headers_;
  std::string bytes_;
  RecordIODecoder decoder_;
  Status decode_status_;
  std::vector<std::string> records_;
  bool ended_ = false;
  Status end_status_;
  std::chrono::steady_clock::time_point end_time_;

  // Waits until `done` holds, checked with mutex_ held; false on timeout.
  bool WaitUntil(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kDeadline, done);
  }
};

TYPED_TEST_SUITE(HttpClientContract, testing::HttpClients, testing::HttpClientNames);

// What only CurlHttpClient does: keep connections for reuse.
class CurlHttpClientAgainstServer : public HttpClientContract<CurlHttpClient> {};

TYPED_TEST(HttpClientContract, PostRoundTripsHeadersAndBinaryBody) {
  this->Handle([](const HttpServer::Request&) {
    HttpServer::Response response;
    response.headers.Add("Content-Type", "application/x-protobuf");
    response.headers.Add("Mesos-Stream-Id", "5f1e");
    response.body = "\x08\x01\x00\xff"s;
    return response;
  });
  const std::string body = "\x08\x01\x12\x00\xff\n\r\n"s;
  auto result = this->client_.Post(this->Url("/api/v1/scheduler"),
                                   {{"Content-Type", "application/x-protobuf"},
                                    {"Accept", "application/x-protobuf"},
                                    {"X-Empty", ""}},
                                   body, this->options_);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->headers.Get("content-type"), "application/x-protobuf");
  EXPECT_EQ(result->headers.Get("MESOS-STREAM-ID"), "5f1e");
  EXPECT_EQ(result->body, "\x08\x01\x00\xff"s);

  auto requests = this->requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpServer::Request& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api/v1/scheduler");
  EXPECT_EQ(request.body, body);
  EXPECT_EQ(request.headers.Get("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(request.headers.Get("Accept"), "application/x-protobuf");
  EXPECT_EQ(request.headers.Get("X-Empty"), "");
  EXPECT_EQ(request.headers.Get("Content-Length"), std::to_string(body.size()));
  EXPECT_FALSE(request.headers.Has("Expect"));
  EXPECT_FALSE(request.headers.Has("Authorization"));
}

TYPED_TEST(HttpClientContract, LargeBodyIsSentWithoutWaitingForContinue) {
  // curl would announce a body this size with Expect: 100-continue and then
  // wait a second for an answer Mesos never gives.
  const std::string body(2 * 1024 * 1024, 'p');
  auto result = this->client_.Post(this->Url("/"), {{"Content-Type", "application/x-protobuf"}},
                                   body, this->options_);
  ASSERT_TRUE(result.ok()) << result.message();
  auto requests = this->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body.size(), body.size());
  EXPECT_FALSE(requests[0].headers.Has("Expect"));
}

TYPED_TEST(HttpClientContract, AddsNoContentTypeOrAcceptOfItsOwn) {
  auto result = this->client_.Post(this->Url("/"), {}, "x", this->options_);
  ASSERT_TRUE(result.ok()) << result.message();
  auto requests = this->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].headers.Has("Content-Type"));
  EXPECT_FALSE(requests[0].headers.Has("Accept"));
}

TYPED_TEST(HttpClientContract, PassesStatusCodesThroughWithoutFollowingRedirects) {
  this->Handle([](const HttpServer::Request& request) {
    if (request.target == "/accepted") {
      HttpServer::Response response;
      response.status = 202;
      return response;
    }
    if (request.target == "/redirect") {
      HttpServer::Response response;
      response.status = 307;
      response.headers.Add("Location", "//leader.example:5050/api/v1/scheduler");
      return response;
    }
    return HttpServer::Response::Text(503, "No leader elected");
  });

  auto accepted = this->client_.Post(this->Url("/accepted"), {}, "", this->options_);
  ASSERT_TRUE(accepted.ok()) << accepted.message();
  EXPECT_EQ(accepted->status, 202);
  EXPECT_EQ(accepted->body, "");

  auto redirect = this->client_.Post(this->Url("/redirect"), {}, "call", this->options_);
  ASSERT_TRUE(redirect.ok()) << redirect.message();
  EXPECT_EQ(redirect->status, 307);
  EXPECT_EQ(redirect->headers.Get("Location"), "//leader.example:5050/api/v1/scheduler");

  auto unavailable = this->client_.Post(this->Url("/other"), {}, "", this->options_);
  ASSERT_TRUE(unavailable.ok()) << unavailable.message();
  EXPECT_EQ(unavailable->status, 503);
  EXPECT_EQ(unavailable->body, "No leader elected");

  EXPECT_EQ(this->requests().size(), 3u);  // the redirect was not followed
}

TEST_F(CurlHttpClientAgainstServer, ReusesTheConnectionForConsecutivePosts) {
  for (int i = 0; i < 3; ++i) {
    auto result = this->client_.Post(this->Url("/"), {}, "", this->options_);
    ASSERT_TRUE(result.ok()) << result.message();
  }
  auto requests = this->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].peer, requests[1].peer);
  EXPECT_EQ(requests[1].peer, requests[2].peer);
}

TYPED_TEST(HttpClientContract, SendsBasicAuthentication) {
  this->Handle([](const HttpServer::Request& request) {
    if (request.headers.Get("Authorization") != "Basic cHJpbmNpcGFsOnNlY3JldA==") {
      HttpServer::Response response = HttpServer::Response::Text(401, "");
      response.headers.Add("WWW-Authenticate", "Basic realm=\"mesos-master-scheduler\"");
      return response;
    }
    return HttpServer::Response::Text(202, "");
  });
  auto anonymous = this->client_.Post(this->Url("/"), {}, "", this->options_);
  ASSERT_TRUE(anonymous.ok()) << anonymous.message();
  EXPECT_EQ(anonymous->status, 401);

  this->options_.username = "principal";
  this->options_.password = "secret";
  auto authenticated = this->client_.Post(this->Url("/"), {}, "", this->options_);
  ASSERT_TRUE(authenticated.ok()) << authenticated.message();
  EXPECT_EQ(authenticated->status, 202);
  EXPECT_EQ(this->requests().size(), 2u);  // the credentials went with the first try
}

TYPED_TEST(HttpClientContract, TimeoutIsAnError) {
  this->Handle([this](const HttpServer::Request&) {
    this->release_.Wait();
    return HttpServer::Response::Text(200, "too late");
  });
  this->options_.timeout = std::chrono::milliseconds(100);
  auto result = this->client_.Post(this->Url("/slow"), {}, "", this->options_);
  this->release_.Open();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTimeout);
  EXPECT_EQ(result.message().rfind("POST " + this->Url("/slow") + ": ", 0), 0u) << result.message();
}

TYPED_TEST(HttpClientContract, ResponseBodyOverTheLimitIsAnError) {
  this->Handle([](const HttpServer::Request&) {
    return HttpServer::Response::Text(200, std::string(1000, 'b'));
  });
  this->options_.max_response_bytes = 999;
  auto result = this->client_.Post(this->Url("/"), {}, "", this->options_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidData);
  EXPECT_EQ(result.message(), "POST " + this->Url("/") + ": response body exceeds 999 bytes");
}

TEST(CurlHttpClient, ConnectionRefusedNamesTheAddress) {
  const ClosedPort closed;
  const std::uint16_t port = closed.port();
  const std::string address = closed.endpoint();
  CurlHttpClient client;
  auto result = client.Post("http://" + address + "/api/v1/scheduler", {}, "", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.message().find(address), std::string::npos) << result.message();
  EXPECT_NE(result.message().find("127.0.0.1 port " + std::to_string(port)),
            std::string::npos)
      << result.message();  // curl's own words, naming it again
}

TEST(BeastHttpClient, ConnectionRefusedNamesTheAddress) {
  const ClosedPort closed;
  const std::string address = closed.endpoint();
  BeastHttpClient client;
  auto result = client.Post("http://" + address + "/api/v1/executor", {}, "", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(result.message().rfind("POST http://" + address + "/api/v1/executor: ", 0), 0u)
      << result.message();
  EXPECT_NE(result.message().find("cannot connect to " + address), std::string::npos)
      << result.message();
}

TEST(BeastHttpClient, TakesAddressesOnlyNotNames) {
  BeastHttpClient client;
  for (const std::string url :
       {"http://localhost:5051/api/v1/executor", "http://agent.example:5051/x", "https://[::1/x",
        "http://::1:80/x", "http://127.0.0.1:5o51/x", "http://127.0.0.1:70000/x",
        "http://127.0.0.1:0/x", "ftp://127.0.0.1/x"}) {
    auto result = client.Get(url, {}, {});
    ASSERT_FALSE(result.ok()) << url;
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidData) << result.message();
    EXPECT_EQ(result.message().rfind("GET " + url + ": ", 0), 0u) << result.message();
  }
  auto named = client.Get("http://localhost:5051/x", {}, {});
  EXPECT_NE(named.message().find("'localhost' is not an IP address"), std::string::npos)
      << named.message();
  StreamRecorder recorder;
  auto stream = client.OpenStream("http://localhost:1/x", {}, "", {}, recorder.Callbacks());
  EXPECT_EQ(stream->Wait().code(), StatusCode::kInvalidData);
}

// Our HttpServer will not send such headers, so a bare socket does: it
// answers one request with a 70 KiB header, then closes.
TEST(BeastHttpClient, ResponseHeadersOverTheLimitAreInvalidData) {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::thread server([listener] {
    const int connection = ::accept(listener, nullptr, nullptr);
    if (connection < 0) return;
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) break;
      request.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string response = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'h') +
                                 "\r\nContent-Length: 2\r\n\r\nok";
    // The client hangs up mid-way: no SIGPIPE for that.
    (void)!::send(connection, response.data(), response.size(), MSG_NOSIGNAL);
    ::close(connection);
  });
  BeastHttpClient client;
  auto result =
      client.Get("http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/", {}, {});
  server.join();
  ::close(listener);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidData) << result.message();
  EXPECT_NE(result.message().find("not valid HTTP"), std::string::npos) << result.message();
}

TEST(BeastHttpClient, ARedirectToARelativePathIsNotFollowed) {
  auto server = HttpServer::Start({}, [](const HttpServer::Request&) {
    HttpServer::Response response;
    response.status = 302;
    response.headers.Add("Location", "elsewhere");
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.message();
  BeastHttpClient client;
  HttpClient::Options options;
  options.follow_redirects = true;
  auto result = client.Get(server.value()->url() + "/", {}, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidData);
  EXPECT_NE(result.message().find("cannot follow the redirect to 'elsewhere'"), std::string::npos)
      << result.message();
}

TEST(BeastHttpClient, RedirectToANameIsNotFollowed) {
  auto server = HttpServer::Start({}, [](const HttpServer::Request&) {
    HttpServer::Response response;
    response.status = 302;
    response.headers.Add("Location", "http://elsewhere.example/");
    return response;
  });
  ASSERT_TRUE(server.ok()) << server.message();
  BeastHttpClient client;
  HttpClient::Options options;
  options.follow_redirects = true;
  auto result = client.Get(server.value()->url() + "/", {}, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidData);
  EXPECT_NE(result.message().find("'elsewhere.example' is not an IP address"), std::string::npos)
      << result.message();
}

TYPED_TEST(HttpClientContract, ErrorsDoNotRepeatCredentialsFromTheUrl) {
  const ClosedPort closed;
  const std::string port = std::to_string(closed.port());
  TypeParam client;
  auto result = client.Post("http://user:hunter2@127.0.0.1:" + port + "/x", {}, "", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.message().find("hunter2"), std::string::npos) << result.message();
  EXPECT_EQ(result.message().rfind("POST http://127.0.0.1:" + port + "/x: ", 0), 0u)
      << result.message();
}

TYPED_TEST(HttpClientContract, MalformedUrlIsInvalidData) {
  TypeParam client;
  auto result = client.Post("ftp://127.0.0.1/x", {}, "", {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidData) << result.message();
}

TYPED_TEST(HttpClientContract, StreamDeliversBytesAsTheServerSendsThem) {
  this->Handle([this](const HttpServer::Request&) {
    HttpServer::Response response;
    response.headers.Add("Content-Type", "application/x-protobuf");
    response.headers.Add("Mesos-Stream-Id", "0b1e");
    response.stream = this->slot_.Make();
    return response;
  });
  StreamRecorder recorder;
  auto stream = this->client_.OpenStream(this->Url("/api/v1/scheduler"),
                                         {{"Content-Type", "application/x-protobuf"}}, "subscribe",
                                         this->options_, recorder.Callbacks());
  std::shared_ptr<ResponseStream> server_side = this->slot_.Wait();
  ASSERT_TRUE(server_side);

  // One event at a time: each must arrive before the next is even sent.
  const std::vector<std::string> events = {"\x08\x01"s, "\x08\x08"s, std::string(50000, '\x07')};
  for (std::size_t i = 0; i < events.size(); ++i) {
    ASSERT_TRUE(server_side->Write(RecordIOEncode(events[i])));
    ASSERT_TRUE(recorder.WaitForRecords(i + 1)) << "event " << i << " did not arrive";
  }
  EXPECT_EQ(recorder.records(), events);
  EXPECT_EQ(recorder.status(), 200);
  EXPECT_EQ(recorder.headers().Get("Mesos-Stream-Id"), "0b1e");

  server_side->Close();
  ASSERT_TRUE(recorder.WaitForEnd());
  EXPECT_TRUE(recorder.end_status().ok()) << recorder.end_status().message();
  EXPECT_TRUE(stream->Wait().ok());
  EXPECT_EQ(this->requests()[0].body, "subscribe");
}

TYPED_TEST(HttpClientContract, CancelFromAnotherThreadEndsANeverEndingStreamPromptly) {
  this->Handle([this](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = this->slot_.Make();
    response.stream->Write(RecordIOEncode("\x08\x08"));
    return response;
  });
  StreamRecorder recorder;
  auto stream =
      this->client_.OpenStream(this->Url("/"), {}, "", this->options_, recorder.Callbacks());
  ASSERT_TRUE(recorder.WaitForRecords(1));

  std::chrono::steady_clock::time_point cancelled_at;
  std::thread canceller([&] {
    cancelled_at = std::chrono::steady_clock::now();
    stream->Cancel();
  });
  canceller.join();
  ASSERT_TRUE(recorder.WaitForEnd());
  EXPECT_EQ(recorder.end_status().code(), StatusCode::kCancelled);
  // A wakeup takes a millisecond or so. Without one the stream would only
  // notice at curl's next timer, which here came after about 200 ms.
  EXPECT_LT(recorder.end_time() - cancelled_at, std::chrono::milliseconds(100));
  EXPECT_EQ(stream->Wait().code(), StatusCode::kCancelled);
  EXPECT_TRUE(this->slot_.WaitForEnd()) << "the server did not see the client go";
  stream->Cancel();  // again: harmless
}

TYPED_TEST(HttpClientContract, DestroyingAnOpenStreamCancelsIt) {
  this->Handle([this](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = this->slot_.Make();
    return response;
  });
  StreamRecorder recorder;
  auto stream =
      this->client_.OpenStream(this->Url("/"), {}, "", this->options_, recorder.Callbacks());
  ASSERT_TRUE(recorder.WaitForHeaders());
  stream.reset();
  EXPECT_EQ(recorder.end_status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(this->slot_.WaitForEnd());
}

TYPED_TEST(HttpClientContract, CallbackReturningFalseStopsTheStream) {
  this->Handle([&](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = std::make_shared<ResponseStream>();
    response.stream->Write("more than we want");
    return response;
  });
  StreamRecorder recorder;
  auto stream = this->client_.OpenStream(this->Url("/"), {}, "", this->options_,
                                         recorder.Callbacks(/*keep_going=*/false));
  EXPECT_EQ(stream->Wait().code(), StatusCode::kCancelled);
  EXPECT_EQ(recorder.bytes(), "more than we want");
}

TYPED_TEST(HttpClientContract, StreamReportsAnErrorStatusWithItsBody) {
  this->Handle([](const HttpServer::Request&) {
    return HttpServer::Response::Text(400, "a SUBSCRIBE opens a new stream");
  });
  StreamRecorder recorder;
  auto stream = this->client_.OpenStream(this->Url("/"), {{"Mesos-Stream-Id", "x"}}, "",
                                         this->options_, recorder.Callbacks());
  EXPECT_TRUE(stream->Wait().ok());
  EXPECT_EQ(recorder.status(), 400);
  EXPECT_EQ(recorder.bytes(), "a SUBSCRIBE opens a new stream");
}

TYPED_TEST(HttpClientContract, StreamCutByTheServerIsAnError) {
  this->Handle([this](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = this->slot_.Make();
    response.stream->Write("partial");
    return response;
  });
  StreamRecorder recorder;
  auto stream =
      this->client_.OpenStream(this->Url("/"), {}, "", this->options_, recorder.Callbacks());
  ASSERT_TRUE(recorder.WaitForBytes());
  this->server_->Stop();  // the connection closes without the final chunk
  Status status = stream->Wait();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.message();
  EXPECT_EQ(status.message().rfind("POST " + this->Url("/") + ": ", 0), 0u) << status.message();
}

TYPED_TEST(HttpClientContract, StreamToAClosedPortEndsWithTheError) {
  const ClosedPort closed;
  const std::string address = closed.endpoint();
  TypeParam client;
  StreamRecorder recorder;
  auto stream = client.OpenStream("http://" + address + "/", {}, "", {}, recorder.Callbacks());
  Status status = stream->Wait();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_NE(status.message().find(address), std::string::npos) << status.message();
  EXPECT_EQ(recorder.status(), 0);  // no response, so no headers callback
}

// ---------------------------------------------------------------------------
// Get() and Download()

TYPED_TEST(HttpClientContract, GetSendsAGetWithoutBodyAndReturnsTheResponse) {
  this->Handle([](const HttpServer::Request&) {
    HttpServer::Response response = HttpServer::Response::Text(200, "hello");
    response.headers.Add("X-Served", "yes");
    return response;
  });
  auto result =
      this->client_.Get(this->Url("/files/a.txt?v=1"), {{"X-Asked", "1"}}, this->options_);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->headers.Get("X-Served"), "yes");
  EXPECT_EQ(result->body, "hello");
  auto requests = this->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/files/a.txt?v=1");
  EXPECT_EQ(requests[0].headers.Get("X-Asked"), "1");
  EXPECT_EQ(requests[0].body, "");
  EXPECT_FALSE(requests[0].headers.Has("Content-Length") &&
               requests[0].headers.Get("Content-Length") != "0");
}

TEST_F(CurlHttpClientAgainstServer, GetAndPostShareTheReusedConnections) {
  // A handle that did a GET must POST again afterwards (and vice versa).
  this->Handle([](const HttpServer::Request& request) {
    return HttpServer::Response::Text(200, request.method + ":" + request.body);
  });
  auto get = this->client_.Get(this->Url("/"), {}, this->options_);
  auto post = this->client_.Post(this->Url("/"), {}, "body", this->options_);
  auto get_again = this->client_.Get(this->Url("/"), {}, this->options_);
  ASSERT_TRUE(get.ok() && post.ok() && get_again.ok());
  EXPECT_EQ(get->body, "GET:");
  EXPECT_EQ(post->body, "POST:body");
  EXPECT_EQ(get_again->body, "GET:");
}

// /old redirects to /new, which answers "moved here".
void ServeRedirect(const HttpServer::Request& request, HttpServer::Response* response) {
  if (request.path() == "/old") {
    response->status = 302;
    response->headers.Add("Location", "/new");
    response->body = "see /new";
  } else {
    *response = HttpServer::Response::Text(200, "moved here");
  }
}

TYPED_TEST(HttpClientContract, GetDoesNotFollowRedirectsUnlessAsked) {
  this->Handle([](const HttpServer::Request& request) {
    HttpServer::Response response;
    ServeRedirect(request, &response);
    return response;
  });
  auto result = this->client_.Get(this->Url("/old"), {}, this->options_);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, 302);
  EXPECT_EQ(result->headers.Get("Location"), "/new");
  EXPECT_EQ(this->requests().size(), 1u);

  this->options_.follow_redirects = true;
  auto followed = this->client_.Get(this->Url("/old"), {}, this->options_);
  ASSERT_TRUE(followed.ok()) << followed.message();
  EXPECT_EQ(followed->status, 200);
  EXPECT_EQ(followed->body, "moved here");
  EXPECT_EQ(this->requests().size(), 3u);
}

TYPED_TEST(HttpClientContract, RedirectLoopsStopAtTheLimit) {
  this->Handle([](const HttpServer::Request&) {
    HttpServer::Response response;
    response.status = 302;
    response.headers.Add("Location", "/again");
    return response;
  });
  this->options_.follow_redirects = true;
  this->options_.max_redirects = 3;
  auto result = this->client_.Get(this->Url("/again"), {}, this->options_);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.message().rfind("GET " + this->Url("/again") + ": ", 0), 0u) << result.message();
  EXPECT_EQ(this->requests().size(), 4u);  // the first and three redirects
}

TYPED_TEST(HttpClientContract, DownloadHandsTheBodyToTheSinkNotMemory) {
  std::string big(3 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = char('a' + i % 26);
  this->Handle([big](const HttpServer::Request&) { return HttpServer::Response::Text(200, big); });
  this->options_.max_response_bytes = 1024;  // far less than the body: not kept
  std::string received;
  int pieces = 0;
  auto result =
      this->client_.Download(this->Url("/big"), {}, this->options_, [&](std::string_view bytes) {
        received.append(bytes);
        ++pieces;
        return true;
      });
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "");
  EXPECT_TRUE(received == big);
  EXPECT_GT(pieces, 1);
}

TYPED_TEST(HttpClientContract, DownloadFollowsRedirectsWhenAsked) {
  this->Handle([](const HttpServer::Request& request) {
    HttpServer::Response response;
    ServeRedirect(request, &response);
    return response;
  });
  this->options_.follow_redirects = true;
  std::string received;
  auto result =
      this->client_.Download(this->Url("/old"), {}, this->options_, [&](std::string_view bytes) {
        received.append(bytes);
        return true;
      });
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(received, "moved here");  // not "see /new"
}

TYPED_TEST(HttpClientContract, DownloadKeepsTheBodyOfAnErrorStatus) {
  this->Handle(
      [](const HttpServer::Request&) { return HttpServer::Response::Text(404, "no such file"); });
  bool sink_called = false;
  auto result =
      this->client_.Download(this->Url("/missing"), {}, this->options_, [&](std::string_view) {
        sink_called = true;
        return true;
      });
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(result->body, "no such file");
  EXPECT_FALSE(sink_called);
}

TYPED_TEST(HttpClientContract, DownloadSinkReturningFalseCancels) {
  this->Handle([](const HttpServer::Request&) {
    return HttpServer::Response::Text(200, std::string(100000, 'z'));
  });
  auto result = this->client_.Download(this->Url("/"), {}, this->options_,
                                       [](std::string_view) { return false; });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(result.message(), "GET " + this->Url("/") + ": stopped by the receiver of the body");
}

TYPED_TEST(HttpClientContract, DownloadThatStallsIsATimeout) {
  this->Handle([this](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = this->slot_.Make();
    response.stream->Write("abc");  // and then nothing, ever
    return response;
  });
  this->options_.stall_timeout = std::chrono::milliseconds(1000);
  std::string received;
  const auto start = std::chrono::steady_clock::now();
  auto result =
      this->client_.Download(this->Url("/slow"), {}, this->options_, [&](std::string_view bytes) {
        received.append(bytes);
        return true;
      });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kTimeout) << result.message();
  EXPECT_EQ(result.message(), "GET " + this->Url("/slow") + ": no data received for 1000 ms");
  EXPECT_EQ(received, "abc");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TYPED_TEST(HttpClientContract, DownloadCutByTheServerIsAnError) {
  this->Handle([this](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = this->slot_.Make();
    response.stream->Write("partial");
    return response;
  });
  Latch got_bytes;
  std::string received;
  Result<HttpClient::Response> result = Status::InvalidData("not run");
  std::thread downloader([&] {
    result =
        this->client_.Download(this->Url("/cut"), {}, this->options_, [&](std::string_view bytes) {
          received.append(bytes);
          got_bytes.Open();
          return true;
        });
  });
  ASSERT_TRUE(got_bytes.Wait());
  this->server_->Stop();  // the connection closes without the final chunk
  downloader.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.message();
  EXPECT_EQ(received, "partial");
}

}  // namespace
}  // namespace mlaunch

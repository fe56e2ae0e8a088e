// HttpServer over real loopback sockets, checked with Boost.Beast's own
// client-side parser so that the bytes on the wire are judged by an HTTP
// implementation other than the server's code paths. Every blocking read has
// a deadline, so a broken server fails a test instead of hanging it.
#include "common/http_server.h"

// clang-format off
#include <utility>  // before asio: Boost 1.74's asio needs it first under GCC 12, C++20
// clang-format on

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mlaunch {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using std::string_literals::operator""s;

constexpr auto kDeadline = std::chrono::seconds(10);

std::unique_ptr<HttpServer> StartServer(HttpServer::Handler handler,
                                        HttpServer::Options options = {}) {
  auto started = HttpServer::Start(std::move(options), std::move(handler));
  EXPECT_TRUE(started.ok()) << started.message();
  return started.ok() ? std::move(started).value() : nullptr;
}

// A client connection with deadlines, driven one operation at a time.
class TestClient {
 public:
  // Connecting has the same deadline as reading; a failure to connect shows
  // as the error of the first Send() or Read().
  explicit TestClient(std::uint16_t port) : stream_(io_context_) {
    connect_error_ = Run([&](auto done) {
      stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                            [done](beast::error_code ec) { done(ec, 0); });
    });
  }

  beast::error_code Send(const std::string& raw) {
    if (connect_error_) return connect_error_;
    return Run([&](auto done) { net::async_write(stream_, net::buffer(raw), done); });
  }

  beast::error_code Send(http::request<http::string_body> request) {
    if (connect_error_) return connect_error_;
    request.prepare_payload();
    return Run([&](auto done) { http::async_write(stream_, request, done); });
  }

  beast::error_code Read(http::response<http::string_body>* response) {
    if (connect_error_) return connect_error_;
    return Run([&](auto done) { http::async_read(stream_, buffer_, *response, done); });
  }

  // Starts reading a response whose chunks are collected one by one.
  beast::error_code ReadHeader() {
    parser_.emplace();
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->on_chunk_body(on_chunk_body_);  // kept by reference
    return Run([&](auto done) { http::async_read_header(stream_, buffer_, *parser_, done); });
  }

  // The next chunk's data, or the error or end that came instead.
  beast::error_code ReadChunk(std::string* chunk) {
    while (chunks_.empty()) {
      if (parser_->is_done()) return http::error::end_of_stream;
      beast::error_code ec =
          Run([&](auto done) { http::async_read_some(stream_, buffer_, *parser_, done); });
      if (ec) return ec;
    }
    *chunk = chunks_.front();
    chunks_.erase(chunks_.begin());
    return {};
  }

  // Waits up to `wait` for the server to send or close: no error when it
  // did neither (the wait ran out), else how the connection ended.
  // (A timer cancels the read: the stream's own timeout would close the
  // socket.)
  beast::error_code ReadFor(std::chrono::milliseconds wait) {
    if (connect_error_) return connect_error_;
    std::array<char, 1024> scratch;
    beast::error_code result = net::error::would_block;
    bool waited_out = false;
    net::steady_timer timer(io_context_, wait);
    timer.async_wait([&](beast::error_code ec) {
      if (ec) return;
      waited_out = true;
      stream_.socket().cancel();
    });
    stream_.socket().async_read_some(net::buffer(scratch), [&](beast::error_code ec, std::size_t) {
      result = ec;
      timer.cancel();
    });
    io_context_.restart();
    io_context_.run();
    return waited_out && result == net::error::operation_aborted ? beast::error_code() : result;
  }

  // Reads until the server closes the connection; how that ended.
  beast::error_code ReadToEnd() {
    std::array<char, 1024> scratch;
    for (;;) {
      beast::error_code ec =
          Run([&](auto done) { stream_.async_read_some(net::buffer(scratch), done); });
      if (ec) return ec;
    }
  }

  // Reads the response to a HEAD request: headers only, whatever
  // Content-Length says.
  beast::error_code ReadHeadResponse(http::response<http::string_body>* response) {
    http::response_parser<http::string_body> parser;
    parser.skip(true);
    beast::error_code ec =
        Run([&](auto done) { http::async_read(stream_, buffer_, parser, done); });
    *response = parser.release();
    return ec;
  }

  http::response_parser<http::string_body>& parser() { return *parser_; }
  void Close() { stream_.close(); }
  // Tells the server this client sends nothing more (a FIN).
  void ShutdownSend() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
  std::uint16_t local_port() const { return stream_.socket().local_endpoint().port(); }

 private:
  template <typename Start>
  beast::error_code Run(Start start) {
    beast::error_code result = net::error::would_block;
    stream_.expires_after(kDeadline);
    start([&](beast::error_code ec, std::size_t) { result = ec; });
    io_context_.restart();
    io_context_.run();
    return result;
  }

  net::io_context io_context_;
  beast::tcp_stream stream_;
  beast::error_code connect_error_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::vector<std::string> chunks_;
  std::function<std::size_t(std::uint64_t, beast::string_view, beast::error_code&)> on_chunk_body_ =
      [this](std::uint64_t, beast::string_view body, beast::error_code&) -> std::size_t {
    chunks_.emplace_back(body);
    return body.size();
  };
};

http::request<http::string_body> Post(std::string target, std::string body) {
  http::request<http::string_body> request(http::verb::post, target, 11);
  request.set(http::field::host, "127.0.0.1");
  request.body() = std::move(body);
  return request;
}

// Hands the streams a handler creates to the test thread.
class StreamBox {
 public:
  std::shared_ptr<ResponseStream> Make(
      std::size_t max_buffered_bytes = ResponseStream::kDefaultMaxBufferedBytes) {
    auto stream = std::make_shared<ResponseStream>(max_buffered_bytes);
    stream->OnEnd([this] {
      std::lock_guard<std::mutex> lock(mutex_);
      ++ended_;
      changed_.notify_all();
    });
    std::lock_guard<std::mutex> lock(mutex_);
    streams_.push_back(stream);
    changed_.notify_all();
    return stream;
  }

  std::shared_ptr<ResponseStream> WaitForStream() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, kDeadline, [&] { return !streams_.empty(); });
    return streams_.empty() ? nullptr : streams_.front();
  }

  bool WaitForEnd() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kDeadline, [&] { return ended_ > 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::shared_ptr<ResponseStream>> streams_;
  int ended_ = 0;
};

TEST(HttpServer, ReportsTheBoundPortWhenAskedForPortZero) {
  auto server =
      StartServer([](const HttpServer::Request&) { return HttpServer::Response::Text(200, "ok"); });
  ASSERT_TRUE(server);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1");
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()));
}

TEST(HttpServer, PassesTheRequestToTheHandlerAndItsResponseBack) {
  std::mutex mutex;
  HttpServer::Request seen;
  auto server = StartServer([&](const HttpServer::Request& request) {
    std::lock_guard<std::mutex> lock(mutex);
    seen = request;
    HttpServer::Response response;
    response.status = 202;
    response.headers.Add("Mesos-Stream-Id", "abc");
    response.body = "\x00\x01reply"s;
    return response;
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  auto request = Post("/api/v1/scheduler?x=1", "\x08\x00\xff"s);
  request.set("content-TYPE", "application/x-protobuf");
  client.Send(request);
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));

  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/api/v1/scheduler?x=1");
  EXPECT_EQ(seen.path(), "/api/v1/scheduler");
  EXPECT_EQ(seen.headers.Get("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(seen.body, "\x08\x00\xff"s);
  EXPECT_EQ(seen.peer, "127.0.0.1:" + std::to_string(client.local_port()));

  EXPECT_EQ(response.result_int(), 202);
  EXPECT_EQ(response["Mesos-Stream-Id"], "abc");
  EXPECT_EQ(response[http::field::content_length], "7");
  EXPECT_FALSE(response[http::field::date].empty());
  EXPECT_EQ(response.body(), "\x00\x01reply"s);
}

TEST(HttpServer, KeepsTheConnectionAliveBetweenRequests) {
  std::mutex mutex;
  std::vector<std::string> peers;
  auto server = StartServer([&](const HttpServer::Request& request) {
    std::lock_guard<std::mutex> lock(mutex);
    peers.push_back(request.peer);
    return HttpServer::Response::Text(200, request.body);
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  for (std::string body : {"one", "two", "three"}) {
    client.Send(Post("/", body));
    http::response<http::string_body> response;
    ASSERT_FALSE(client.Read(&response));
    EXPECT_EQ(response.body(), body);
    EXPECT_TRUE(response.keep_alive());
  }
  ASSERT_EQ(peers.size(), 3u);
  EXPECT_EQ(peers[0], peers[2]);
}

TEST(HttpServer, ClosesTheConnectionWhenTheClientAsks) {
  auto server = StartServer(
      [](const HttpServer::Request&) { return HttpServer::Response::Text(200, "bye"); });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  auto request = Post("/", "");
  request.keep_alive(false);
  client.Send(request);
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);
}

TEST(HttpServer, HeadersOverTheLimitGet431) {
  std::atomic<bool> called = false;
  HttpServer::Options options;
  options.max_header_bytes = 1024;
  auto server = StartServer(
      [&](const HttpServer::Request&) {
        called = true;
        return HttpServer::Response::Text(200, "");
      },
      options);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  auto request = Post("/", "");
  request.set("X-Big", std::string(2000, 'a'));
  client.Send(request);
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 431);
  EXPECT_EQ(response.body(), "request headers exceed 1024 bytes\n");
  EXPECT_FALSE(called);
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);
}

TEST(HttpServer, BodyOverTheLimitGets413) {
  HttpServer::Options options;
  options.max_body_bytes = 10;
  auto server = StartServer(
      [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); }, options);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send(Post("/", std::string(11, 'b')));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(response.body(), "request body exceeds 10 bytes\n");
}

// Issue #17 (smaller): a target longer than the header limit is 414, not
// 431.
TEST(HttpServer, ARequestLineOverTheLimitGets414) {
  std::atomic<bool> called = false;
  HttpServer::Options options;
  options.max_header_bytes = 1024;
  auto server = StartServer(
      [&](const HttpServer::Request&) {
        called = true;
        return HttpServer::Response::Text(200, "");
      },
      options);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send("GET /" + std::string(4000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 414);
  EXPECT_EQ(response.body(), "the request line exceeds 1024 bytes\n");
  EXPECT_FALSE(called);
}

TEST(HttpServer, MalformedRequestGets400) {
  auto server =
      StartServer([](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send("NOT HTTP AT ALL\r\n\r\n");
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response.body().rfind("malformed HTTP request: ", 0), 0u) << response.body();
}

// Issue #17, attack 10: a request whose framing is ambiguous would let its
// body be read as a second request (smuggling). Each is answered 400 and
// its connection closed; the "body" never reaches the handler.
TEST(HttpServer, AmbiguousFramingGets400AndNothingIsSmuggled) {
  std::atomic<int> calls{0};
  auto server = StartServer([&calls](const HttpServer::Request&) {
    ++calls;
    return HttpServer::Response::Text(200, "ok");
  });
  ASSERT_TRUE(server);
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string length = std::to_string(smuggled.size());
  struct Case {
    std::string head;
    std::string why;
  };
  for (const Case& c : std::vector<Case>{
           {"Transfer-Encoding: xchunked\r\n", "a Transfer-Encoding must end in chunked"},
           {"Transfer-Encoding: chunked, identity\r\n", "a Transfer-Encoding must end in chunked"},
           {"Transfer-Encoding: gzip\r\n", "a Transfer-Encoding must end in chunked"},
           // Refused by Beast's parser itself.
           {"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
            "malformed HTTP request: bad Transfer-Encoding"},
           {"Transfer-Encoding: chunked\r\nContent-Length: " + length + "\r\n",
            "malformed HTTP request: bad Content-Length"}}) {
    TestClient client(server->port());
    client.Send("POST / HTTP/1.1\r\nHost: x\r\n" + c.head + "\r\n" + smuggled);
    http::response<http::string_body> response;
    ASSERT_FALSE(client.Read(&response)) << c.head;
    EXPECT_EQ(response.result_int(), 400) << c.head;
    EXPECT_EQ(response.body(), c.why + "\n") << c.head;
    EXPECT_FALSE(response.keep_alive()) << c.head;
  }
  for (const std::string head :
       {"GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"}) {
    TestClient client(server->port());
    client.Send(head);
    http::response<http::string_body> response;
    ASSERT_FALSE(client.Read(&response)) << head;
    EXPECT_EQ(response.result_int(), 400) << head;
    EXPECT_EQ(response.body(), "an HTTP/1.1 request needs exactly one Host header\n");
  }
  EXPECT_EQ(calls.load(), 0);
  // HTTP/1.0 needs no Host; a chunked body is fine.
  TestClient plain(server->port());
  plain.Send("GET / HTTP/1.0\r\n\r\n");
  http::response<http::string_body> response;
  ASSERT_FALSE(plain.Read(&response));
  EXPECT_EQ(response.result_int(), 200);
  TestClient chunked(server->port());
  chunked.Send(
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  ASSERT_FALSE(chunked.Read(&response));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(calls.load(), 2);
}

// Answers every request with its method, target and body.
HttpServer::Response Echo(const HttpServer::Request& request) {
  return HttpServer::Response::Text(200,
                                    request.method + " " + request.target + " " + request.body);
}

// An Echo server that counts the requests its handler was called for.
std::unique_ptr<HttpServer> StartCountingEcho(std::atomic<int>* calls) {
  return StartServer([calls](const HttpServer::Request& request) {
    ++*calls;
    return Echo(request);
  });
}

TEST(HttpServer, PipelinedRequestsAreAnsweredOneByOneInOrder) {
  auto server = StartServer(Echo);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  // Three requests in one write: the server reads them in one go and must
  // answer the second and third from what it has already buffered.
  ASSERT_FALSE(
      client.Send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
                  "GET /b?q=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                  "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nthree"));
  for (const char* expected : {"POST /a one", "GET /b?q=1 ", "POST /c three"}) {
    http::response<http::string_body> response;
    ASSERT_FALSE(client.Read(&response)) << expected;
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.body(), expected);
  }
}

TEST(HttpServer, RequestArrivingAByteAtATimeIsAnsweredWhole) {
  auto server = StartServer(Echo);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  const std::string raw = "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody";
  for (char c : raw) ASSERT_FALSE(client.Send(std::string(1, c)));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "POST /slow body");
  // And the connection serves the next request.
  ASSERT_FALSE(client.Send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n"));
  http::response<http::string_body> next;
  ASSERT_FALSE(client.Read(&next));
  EXPECT_EQ(next.body(), "GET /next ");
}

TEST(HttpServer, RequestCutOffByTheClientGets400AndNoHandlerRuns) {
  std::atomic<int> calls{0};
  auto server = StartCountingEcho(&calls);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  ASSERT_FALSE(client.Send("POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"));
  client.ShutdownSend();
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response.body().rfind("malformed HTTP request: ", 0), 0u) << response.body();
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, ClientThatClosesBetweenRequestsIsClosedQuietly) {
  std::atomic<int> calls{0};
  auto server = StartCountingEcho(&calls);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  ASSERT_FALSE(client.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  client.ShutdownSend();
  // No error response for a connection that ended cleanly: just its end.
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, ConnectionsBeyondTheLimitGet503WhenEveryOneIsBusy) {
  HttpServer::Options options;
  options.max_connections = 1;
  std::atomic<int> refusals{0};
  options.on_refused = [&] { ++refusals; };
  StreamBox box;
  auto server = StartServer(
      [&](const HttpServer::Request&) {
        HttpServer::Response response;
        response.stream = box.Make();
        return response;
      },
      options);
  ASSERT_TRUE(server);
  TestClient first(server->port());
  ASSERT_FALSE(first.Send(Post("/", "")));
  ASSERT_FALSE(first.ReadHeader());  // streaming: busy, not waiting
  ASSERT_NE(box.WaitForStream(), nullptr);

  TestClient second(server->port());
  ASSERT_FALSE(second.Send(Post("/", "")));
  http::response<http::string_body> refused;
  ASSERT_FALSE(second.Read(&refused));
  EXPECT_EQ(refused.result_int(), 503);
  EXPECT_EQ(refused.body(),
            "this server holds its limit of 1 connections, all busy; try again later\n");
  EXPECT_EQ(refusals.load(), 1);  // told before the 503 was sent
}

TEST(HttpServer, IdleSlowAndSilentClientsMakeRoomForNewRequests) {
  constexpr std::size_t kLimit = 8;
  HttpServer::Options options;
  options.max_connections = kLimit;
  auto server = StartServer(
      [](const HttpServer::Request&) { return HttpServer::Response::Text(200, "served"); },
      options);
  ASSERT_TRUE(server);
  // Three times the limit, all connected before any normal request: the
  // listener accepts in order, so every slot is taken by one of these when
  // the normal requests arrive. A third are idle after a request
  // (keep-alive), a third send the start of their headers and no more, a
  // third say nothing.
  std::vector<std::unique_ptr<TestClient>> held;
  for (std::size_t i = 0; i < 3 * kLimit; ++i) {
    auto client = std::make_unique<TestClient>(server->port());
    if (i % 3 == 0) {
      ASSERT_FALSE(client->Send(Post("/", ""))) << i;
      http::response<http::string_body> response;
      ASSERT_FALSE(client->Read(&response)) << i;  // never refused
      EXPECT_EQ(response.result_int(), 200) << i;
    } else if (i % 3 == 1) {
      ASSERT_FALSE(client->Send("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "s)) << i;
    }
    held.push_back(std::move(client));
  }

  // Normal requests are still served, one after another. (Which held
  // connection made room is the server's timing, and not asserted.)
  for (int i = 0; i < 5; ++i) {
    TestClient client(server->port());
    ASSERT_FALSE(client.Send(Post("/", ""))) << i;
    http::response<http::string_body> response;
    ASSERT_FALSE(client.Read(&response)) << i;
    EXPECT_EQ(response.result_int(), 200) << i;
    EXPECT_EQ(response.body(), "served") << i;
  }
}

TEST(HttpServer, HandlerExceptionBecomes500) {
  auto server = StartServer(
      [](const HttpServer::Request&) -> HttpServer::Response { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send(Post("/", ""));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_EQ(response.body(), "internal error: boom\n");
}

TEST(HttpServer, IdleConnectionIsClosed) {
  HttpServer::Options options;
  options.idle_timeout = std::chrono::milliseconds(50);
  auto server = StartServer(
      [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); }, options);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);
}

TEST(HttpServer, SlowClientIsClosedWhenItsRequestTimeRunsOut) {
  HttpServer::Options options;
  options.idle_timeout = std::chrono::milliseconds(300);
  auto server = StartServer(
      [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); }, options);
  ASSERT_TRUE(server);
  TestClient client(server->port());
  ASSERT_FALSE(client.Send("GET / HTTP/1.1\r\n"s));
  // One header byte every 50 ms keeps the connection busy but never
  // finishes the request: the deadline is the request's, not the last
  // byte's, so the server closes it after ~300 ms (the sends then fail).
  const auto start = std::chrono::steady_clock::now();
  beast::error_code ec;
  while (!ec && std::chrono::steady_clock::now() - start < kDeadline) {
    ec = client.Send("X"s);
    if (!ec) ec = client.ReadFor(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(ec == net::error::eof || ec == net::error::connection_reset ||
              ec == net::error::broken_pipe)
      << ec.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(HttpServer, ClientThatStopsReadingIsClosedWhenTheWriteTimeRunsOut) {
  // One slot. The first client asks for a body far larger than the socket
  // buffers and reads none of it, so its response's write cannot finish and
  // its connection stays busy: a busy connection never makes room, so only
  // the write's deadline can free the slot for the second client.
  HttpServer::Options options;
  options.max_connections = 1;
  options.idle_timeout = std::chrono::milliseconds(500);
  std::mutex mutex;
  std::condition_variable called;
  bool big_asked = false;
  auto server = StartServer(
      [&](const HttpServer::Request& request) {
        if (request.path() != "/big") {
          return HttpServer::Response::Text(200, "small");
        }
        {
          std::lock_guard<std::mutex> lock(mutex);
          big_asked = true;
        }
        called.notify_all();
        return HttpServer::Response::Text(200, std::string(32 << 20, 'x'));
      },
      options);
  ASSERT_TRUE(server);
  TestClient stalled(server->port());
  ASSERT_FALSE(stalled.Send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"s));
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(called.wait_for(lock, kDeadline, [&] { return big_asked; }));
  }

  // Refused (503) while the write is stuck; served once the deadline has
  // closed it. Each try is a new connection, 20 ms apart.
  int status = 0;
  const auto start = std::chrono::steady_clock::now();
  while (status != 200 && std::chrono::steady_clock::now() - start < kDeadline) {
    TestClient client(server->port());
    http::response<http::string_body> response;
    if (!client.Send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n"s) && !client.Read(&response)) {
      status = response.result_int();
    }
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 200);
  // The stalled client gets what was buffered, then the end: not the whole
  // body followed by a kept-alive connection (which would run into the
  // client's own 10 s timeout instead).
  const beast::error_code end = stalled.ReadToEnd();
  EXPECT_TRUE(end == net::error::eof || end == net::error::connection_reset) << end.message();
}

TEST(HttpServer, StreamsEachWriteAsAChunkAsItHappens) {
  StreamBox box;
  auto server = StartServer([&](const HttpServer::Request&) {
    HttpServer::Response response;
    response.headers.Add("Content-Type", "application/x-protobuf");
    response.stream = box.Make();
    response.stream->Write("first");  // queued before the headers go out
    return response;
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send(Post("/api/v1/scheduler", "subscribe"));
  ASSERT_FALSE(client.ReadHeader());
  const auto& head = client.parser().get();
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.chunked());
  EXPECT_EQ(head[http::field::content_length], "");
  EXPECT_EQ(head[http::field::content_type], "application/x-protobuf");

  std::string chunk;
  ASSERT_FALSE(client.ReadChunk(&chunk));
  EXPECT_EQ(chunk, "first");
  std::shared_ptr<ResponseStream> stream = box.WaitForStream();
  ASSERT_TRUE(stream);
  for (std::string event : {"2\n\x08\x08"s, "second"s, std::string(100000, 'x')}) {
    ASSERT_TRUE(stream->Write(event));
    std::string got;
    while (got.size() < event.size()) {  // a big chunk may arrive in pieces
      ASSERT_FALSE(client.ReadChunk(&chunk));
      got += chunk;
    }
    EXPECT_EQ(got, event);
  }
  stream->Close();
  EXPECT_EQ(client.ReadChunk(&chunk), http::error::end_of_stream);
  EXPECT_TRUE(client.parser().is_done());
  EXPECT_TRUE(box.WaitForEnd());
  EXPECT_FALSE(stream->Write("late"));
  EXPECT_EQ(client.ReadToEnd(),
            net::error::eof);  // a stream uses up its connection
}

TEST(HttpServer, StreamEndsWhenTheClientDisconnects) {
  StreamBox box;
  auto server = StartServer([&](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = box.Make();
    return response;
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send(Post("/", ""));
  ASSERT_FALSE(client.ReadHeader());
  std::shared_ptr<ResponseStream> stream = box.WaitForStream();
  ASSERT_TRUE(stream);
  EXPECT_FALSE(stream->closed());
  client.Close();
  EXPECT_TRUE(box.WaitForEnd());
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->Write("nobody is listening"));
}

TEST(HttpServer, OnEndRunsAtOnceForAStreamThatAlreadyEnded) {
  StreamBox box;
  auto server = StartServer([&](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = box.Make();
    response.stream->Close();  // an empty stream: headers, then the final chunk
    return response;
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send(Post("/", ""));
  ASSERT_FALSE(client.ReadHeader());
  std::string chunk;
  EXPECT_EQ(client.ReadChunk(&chunk), http::error::end_of_stream);
  ASSERT_TRUE(box.WaitForEnd());
  bool called = false;
  box.WaitForStream()->OnEnd([&] { called = true; });
  EXPECT_TRUE(called);
}

TEST(HttpServer, ClientTooSlowForTheStreamIsDropped) {
  StreamBox box;
  auto server = StartServer([&](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = box.Make(/*max_buffered_bytes=*/8);
    EXPECT_TRUE(response.stream->Write("12345678"));
    EXPECT_FALSE(response.stream->Write("9"));  // over the backlog limit
    return response;
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  client.Send(Post("/", ""));
  ASSERT_FALSE(client.ReadHeader());
  std::string chunk;
  // Dropped, not finished: no final chunk, so the client cannot mistake the
  // cut-off stream for a complete one.
  EXPECT_EQ(client.ReadChunk(&chunk), http::error::partial_message);
  EXPECT_TRUE(box.WaitForEnd());
}

TEST(HttpServer, StopEndsOpenStreamsAndClosesConnections) {
  StreamBox box;
  auto server = StartServer([&](const HttpServer::Request&) {
    HttpServer::Response response;
    response.stream = box.Make();
    return response;
  });
  ASSERT_TRUE(server);
  TestClient streaming(server->port());
  streaming.Send(Post("/", ""));
  ASSERT_FALSE(streaming.ReadHeader());
  ASSERT_TRUE(box.WaitForStream());

  server->Stop();
  EXPECT_TRUE(box.WaitForEnd());
  std::string chunk;
  EXPECT_EQ(streaming.ReadChunk(&chunk), http::error::partial_message);
  server->Stop();  // idempotent
}

// RFC 9110, section 9.3.2: a HEAD response carries the GET's Content-Length and no
// body. The GET that follows on the same connection proves no stray body
// bytes were sent.
TEST(HttpServer, HeadGetsTheContentLengthOfTheBodyButNotTheBody) {
  auto server = StartServer([](const HttpServer::Request& request) {
    return HttpServer::Response::Text(200, request.method == "HEAD" ? "eleven char" : "get");
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  http::request<http::string_body> head(http::verb::head, "/", 11);
  head.set(http::field::host, "127.0.0.1");
  client.Send(head);
  http::response<http::string_body> response;
  ASSERT_FALSE(client.ReadHeadResponse(&response));
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[http::field::content_length], "11");
  EXPECT_EQ(response.body(), "");

  http::request<http::string_body> get(http::verb::get, "/", 11);
  get.set(http::field::host, "127.0.0.1");
  client.Send(get);
  http::response<http::string_body> after;
  ASSERT_FALSE(client.Read(&after));
  EXPECT_EQ(after.body(), "get");
  EXPECT_EQ(after[http::field::content_length], "3");
}

TEST(HttpServer, HeadKeepsTheHandlersContentLength) {
  auto server = StartServer([](const HttpServer::Request&) {
    HttpServer::Response response;
    response.headers.Add("Content-Length", "1234");  // of the GET; no body here
    return response;
  });
  ASSERT_TRUE(server);
  TestClient client(server->port());
  http::request<http::string_body> head(http::verb::head, "/file", 11);
  head.set(http::field::host, "127.0.0.1");
  client.Send(head);
  http::response<http::string_body> response;
  ASSERT_FALSE(client.ReadHeadResponse(&response));
  EXPECT_EQ(response[http::field::content_length], "1234");
  EXPECT_EQ(response.count(http::field::content_length), 1u);
}

// A server that answers every request with one Prepared response.
std::unique_ptr<HttpServer> StartPrepared(HttpServer::Response response) {
  auto prepared = std::make_shared<const HttpServer::Prepared>(std::move(response));
  return StartServer([prepared](const HttpServer::Request&) {
    HttpServer::Response r;
    r.prepared = prepared;
    return r;
  });
}

HttpServer::Response Hello() {
  HttpServer::Response response;
  response.headers.Add("Content-Type", "text/html");
  response.body = "Hello from Server";
  return response;
}

http::request<http::string_body> Get(unsigned version = 11) {
  http::request<http::string_body> request(http::verb::get, "/", version);
  request.set(http::field::host, "127.0.0.1");
  return request;
}

TEST(HttpServer, PreparedResponseIsSentAsItStandsWithADateOnEveryRequest) {
  auto server = StartPrepared(Hello());
  ASSERT_TRUE(server);
  TestClient client(server->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(client.Send(Get()));
    http::response<http::string_body> response;
    ASSERT_FALSE(client.Read(&response));
    EXPECT_EQ(response.version(), 11u);
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.reason(), "OK");
    EXPECT_EQ(response[http::field::content_type], "text/html");
    EXPECT_EQ(response[http::field::content_length], "17");
    EXPECT_EQ(response.count(http::field::date), 1u);
    EXPECT_FALSE(response[http::field::date].empty());
    EXPECT_TRUE(response.keep_alive());
    EXPECT_EQ(response.body(), "Hello from Server");
  }
}

TEST(HttpServer, PreparedResponseAnswersHeadWithItsHeadersOnly) {
  auto server = StartPrepared(Hello());
  ASSERT_TRUE(server);
  TestClient client(server->port());
  http::request<http::string_body> head(http::verb::head, "/", 11);
  head.set(http::field::host, "127.0.0.1");
  ASSERT_FALSE(client.Send(head));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.ReadHeadResponse(&response));
  EXPECT_EQ(response[http::field::content_length], "17");
  // Had the body been sent, it would be read here as the next response.
  ASSERT_FALSE(client.Send(Get()));
  http::response<http::string_body> after;
  ASSERT_FALSE(client.Read(&after));
  EXPECT_EQ(after.result_int(), 200u);
  EXPECT_EQ(after.body(), "Hello from Server");
}

TEST(HttpServer, PreparedResponseEndsTheConnectionWhenTheClientAsks) {
  auto server = StartPrepared(Hello());
  ASSERT_TRUE(server);
  TestClient client(server->port());
  auto request = Get();
  request.keep_alive(false);
  ASSERT_FALSE(client.Send(request));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(response.count(http::field::connection), 1u);
  EXPECT_EQ(response.body(), "Hello from Server");
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);
}

TEST(HttpServer, PreparedResponseWithItsOwnDateAndCloseKeepsThemAlone) {
  HttpServer::Response own = Hello();
  own.status = 404;
  own.headers.Add("Date", "Sun, 06 Nov 1994 08:49:37 GMT");
  own.headers.Add("Connection", "close");
  auto server = StartPrepared(std::move(own));
  ASSERT_TRUE(server);
  TestClient client(server->port());
  ASSERT_FALSE(client.Send(Get()));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.result_int(), 404u);
  EXPECT_EQ(response.reason(), "Not Found");
  EXPECT_EQ(response.count(http::field::date), 1u);
  EXPECT_EQ(response[http::field::date], "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(response.count(http::field::connection), 1u);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);
}

TEST(HttpServer, PreparedResponseAnswersHttp10InItsVersion) {
  auto server = StartPrepared(Hello());
  ASSERT_TRUE(server);
  TestClient client(server->port());
  ASSERT_FALSE(client.Send(Get(10)));
  http::response<http::string_body> response;
  ASSERT_FALSE(client.Read(&response));
  EXPECT_EQ(response.version(), 10u);
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[http::field::content_type], "text/html");
  EXPECT_EQ(response.body(), "Hello from Server");
  EXPECT_EQ(client.ReadToEnd(), net::error::eof);  // 1.0 without keep-alive
}

TEST(HttpServer, CannotBindAPortInUse) {
  auto first =
      StartServer([](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  ASSERT_TRUE(first);
  HttpServer::Options options;
  options.port = first->port();
  auto second = HttpServer::Start(
      options, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(second.message().rfind(
                "cannot listen on 127.0.0.1:" + std::to_string(first->port()) + ": ", 0),
            0u)
      << second.message();
}

// Running out of file descriptors. Not in the ASan + UBSan build (ML_UBSAN):
// UBSan checks a virtual call the first time it meets the object's type by
// writing the vtable through a pipe, which needs two descriptors, so with
// none left it reports the server's first steps as calls through an
// invalid vptr. CI runs these under TSan (common_tests is `threaded`).
#ifndef ML_UBSAN

// Holds every file descriptor the process may still open, under a soft
// RLIMIT_NOFILE lowered to `limit`, until Release(), which also puts the
// limit back.
class FileDescriptorsTaken {
 public:
  explicit FileDescriptorsTaken(rlim_t limit) {
    if (getrlimit(RLIMIT_NOFILE, &saved_) != 0) throw std::runtime_error("getrlimit");
    rlimit lowered = saved_;
    lowered.rlim_cur = limit;
    if (setrlimit(RLIMIT_NOFILE, &lowered) != 0) throw std::runtime_error("setrlimit");
    for (int fd; (fd = dup(STDIN_FILENO)) >= 0;) taken_.push_back(fd);
  }
  ~FileDescriptorsTaken() { Release(); }
  void Release() {
    for (int fd : taken_) close(fd);
    if (!taken_.empty() || !released_) setrlimit(RLIMIT_NOFILE, &saved_);
    taken_.clear();
    released_ = true;
  }

 private:
  rlimit saved_{};
  std::vector<int> taken_;
  bool released_ = false;
};

// accept() failing (no file descriptor left) is said once with its cause,
// retried, said again when it works; the connection that waited is served.
TEST(HttpServer, OutOfFileDescriptorsItSaysSoOnceAndAcceptsAgainAfter) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> problems;
  HttpServer::Options options;
  options.on_problem = [&](const std::string& problem) {
    std::lock_guard<std::mutex> lock(mutex);
    problems.push_back(problem);
    changed.notify_all();
  };
  auto server = StartServer([](const HttpServer::Request&) { return Hello(); }, options);
  ASSERT_TRUE(server);
  const std::string where = "127.0.0.1:" + std::to_string(server->port());
  auto await = [&](std::size_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, kDeadline, [&] { return problems.size() >= n; });
  };

  // The client's socket is made first: connecting needs no descriptor.
  const int waiting = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(waiting, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  {
    FileDescriptorsTaken taken(static_cast<rlim_t>(waiting) + 64);
    ASSERT_EQ(connect(waiting, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
    ASSERT_TRUE(await(1));
    {
      std::lock_guard<std::mutex> lock(mutex);
      EXPECT_EQ(problems[0], "cannot accept connections on " + where +
                                 ": Too many open files; trying again every 100 ms");
    }
    taken.Release();
    ASSERT_TRUE(await(2));
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_EQ(problems.size(), 2u);  // once each, however many retries
    EXPECT_EQ(problems[1].rfind("accepting connections on " + where + " again, after ", 0), 0u)
        << problems[1];
  }
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(send(waiting, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
  timeval deadline{10, 0};
  setsockopt(waiting, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof(deadline));
  std::string answer;
  std::array<char, 4096> buffer;
  for (ssize_t n; (n = recv(waiting, buffer.data(), buffer.size(), 0)) > 0;)
    answer.append(buffer.data(), n);
  close(waiting);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("Hello from Server"), std::string::npos) << answer;
}
#endif  // ML_UBSAN

TEST(HttpServer, RejectsAHostNameAsAddress) {
  HttpServer::Options options;
  options.address = "localhost";
  auto server = HttpServer::Start(
      options, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.message(), "cannot listen on 'localhost': not an IP address");
}

}  // namespace
}  // namespace mlaunch

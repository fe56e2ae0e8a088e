// The built-in HTTP service on real loopback sockets: payload, health,
// static files, traversal and symlink escapes, a port already taken; under
// load, 1,000 idle or slow clients and keep-alive.
#include "executor/services/http_service.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "common/curl_http_client.h"
#include "tests/executor/http_get.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::executor {
namespace {

namespace fs = std::filesystem;
using mlaunch::testing::HttpGet;
using mlaunch::testing::TempDir;

// A port that was free a moment ago: bound by a server on port 0, then freed.
std::uint16_t FreePort() {
  auto server = HttpServer::Start(
      {}, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  EXPECT_TRUE(server.ok());
  std::uint16_t port = server.value()->port();
  server.value()->Stop();
  return port;
}

// Starts `config`'s service with its port set to one that was free a moment
// ago. Tests run side by side, so another may bind that port in between;
// then a fresh one is tried, a few times, and the last failure returned.
Result<std::unique_ptr<HttpService>> StartOnAFreePort(ServiceConfig config,
                                                      const std::string& sandbox) {
  for (int attempt = 1;; ++attempt) {
    config.mutable_ports(0)->set_number(FreePort());
    auto service = HttpService::Start(config, "127.0.0.1", sandbox);
    if (service.ok() || attempt == 5) return service;
  }
}

// The payload service on `port` (0: StartOnAFreePort picks it).
ServiceConfig PayloadConfig(std::uint16_t port = 0) {
  ServiceConfig config;
  config.mutable_http()->set_port_name("http");
  config.mutable_http()->set_path("/");
  config.mutable_http()->set_content_type("text/plain");
  config.mutable_http()->set_body("Hello from Server");
  ServiceConfig::Port* p = config.add_ports();
  p->set_name("http");
  p->set_number(port);
  return config;
}

TEST(HttpService, ServesThePayloadAtItsPathWithItsContentType) {
  TempDir sandbox;
  auto service = StartOnAFreePort(PayloadConfig(), sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  auto response = HttpGet(service.value()->port(), "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello from Server");
  EXPECT_NE(response.headers.find("Content-Type: text/plain"), std::string::npos);
  EXPECT_EQ(HttpGet(service.value()->port(), "/other").status, 404);
}

TEST(HttpService, AnswersHeadWithoutABody) {
  TempDir sandbox;
  auto service = StartOnAFreePort(PayloadConfig(), sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  auto response = HttpGet(service.value()->port(), "/", "127.0.0.1", "HEAD");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
  EXPECT_NE(response.headers.find("Content-Type: text/plain"), std::string::npos);
}

TEST(HttpService, AnswersHealthWithOk) {
  TempDir sandbox;
  auto service = StartOnAFreePort(PayloadConfig(), sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  auto response = HttpGet(service.value()->port(), "/health");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(HttpService, RefusesPostWith405ThroughTheProjectsClient) {
  TempDir sandbox;
  auto service = StartOnAFreePort(PayloadConfig(), sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  CurlHttpClient http;
  auto response = http.Post(service.value()->url() + "/", {}, "x", {});
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->status, 405);
}

TEST(HttpService, FailsToStartOnAPortInUseNamingIt) {
  auto taken = HttpServer::Start(
      {}, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  ASSERT_TRUE(taken.ok());
  std::uint16_t port = taken.value()->port();
  TempDir sandbox;
  auto service = HttpService::Start(PayloadConfig(port), "127.0.0.1", sandbox.path());
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.message().find(std::to_string(port)), std::string::npos) << service.message();
}

TEST(HttpService, FailsToStartWithoutItsNamedPort) {
  ServiceConfig config = PayloadConfig(1234);
  config.mutable_http()->set_port_name("admin");
  TempDir sandbox;
  auto service = HttpService::Start(config, "127.0.0.1", sandbox.path());
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.message().find("admin"), std::string::npos) << service.message();
}

class HttpServiceRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    sandbox_.Write("site/index.html", "<h1>home</h1>");
    sandbox_.Write("site/css/app.css", "body{}");
    sandbox_.Write("site/docs/index.html", "docs");
    sandbox_.Write("secret.txt", "do not serve");
    fs::create_symlink(sandbox_ / "secret.txt", sandbox_ / "site/escape.txt");
    fs::create_symlink(sandbox_ / "site/css/app.css", sandbox_ / "site/inside.css");
    ServiceConfig config;
    config.mutable_http()->set_root("site");
    ServiceConfig::Port* p = config.add_ports();
    p->set_name("http");
    auto service = StartOnAFreePort(config, sandbox_.path());
    ASSERT_TRUE(service.ok()) << service.message();
    service_ = std::move(service.value());
  }
  mlaunch::testing::GetResponse Get(const std::string& target) {
    return HttpGet(service_->port(), target);
  }

  TempDir sandbox_;
  std::unique_ptr<HttpService> service_;
};

TEST_F(HttpServiceRoot, ServesIndexHtmlForDirectories) {
  auto response = Get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<h1>home</h1>");
  EXPECT_NE(response.headers.find("Content-Type: text/html"), std::string::npos);
  EXPECT_EQ(Get("/docs/").body, "docs");
  EXPECT_EQ(Get("/docs").body, "docs");
}

TEST_F(HttpServiceRoot, GivesContentTypesByExtension) {
  auto response = Get("/css/app.css");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "body{}");
  EXPECT_NE(response.headers.find("Content-Type: text/css"), std::string::npos);
}

TEST_F(HttpServiceRoot, RefusesPathTraversal) {
  EXPECT_EQ(Get("/../secret.txt").status, 404);
  EXPECT_EQ(Get("/css/../../secret.txt").status, 404);
  EXPECT_EQ(Get("/%2e%2e/secret.txt").status, 404);
  EXPECT_EQ(Get("/..%2fsecret.txt").status, 404);
  EXPECT_EQ(Get("/index.html%00.txt").status, 404);
}

TEST_F(HttpServiceRoot, FollowsSymlinksOnlyInsideTheRoot) {
  EXPECT_EQ(Get("/escape.txt").status, 404);
  auto inside = Get("/inside.css");
  EXPECT_EQ(inside.status, 200);
  EXPECT_EQ(inside.body, "body{}");
}

TEST_F(HttpServiceRoot, AnswersMissingFilesWith404) { EXPECT_EQ(Get("/nope.html").status, 404); }

TEST_F(HttpServiceRoot, ServesOneRangeOfAFile) {
  sandbox_.Write("site/digits.txt", "0123456789");
  const auto range = [&](const std::string& value) {
    return HttpGet(service_->port(), "/digits.txt", "127.0.0.1", "GET", "Range: " + value + "\r\n");
  };
  auto part = range("bytes=2-4");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "234");
  EXPECT_NE(part.headers.find("Content-Range: bytes 2-4/10"), std::string::npos) << part.headers;
  EXPECT_NE(part.headers.find("Content-Length: 3"), std::string::npos) << part.headers;
  EXPECT_EQ(range("bytes=-3").body, "789");
  EXPECT_EQ(range("bytes=7-").body, "789");
  EXPECT_EQ(range("bytes=8-100").body, "89");
  auto beyond = range("bytes=10-");
  EXPECT_EQ(beyond.status, 416);
  EXPECT_NE(beyond.headers.find("Content-Range: bytes */10"), std::string::npos);
  auto several = range("bytes=1-2,4-5");  // not served as multipart: the whole file
  EXPECT_EQ(several.status, 200);
  EXPECT_EQ(several.body, "0123456789");
  EXPECT_NE(several.headers.find("Accept-Ranges: bytes"), std::string::npos);
}

// Issue #17, item 6: files were read whole into memory for each request (6
// GETs of a 256 MiB file took the executor to 1.78 GB). Now a file is sent
// from an open descriptor, a piece at a time; HEAD does not read it.
TEST_F(HttpServiceRoot, FilesAreStreamedNotReadIntoMemory) {
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 23);
  sandbox_.Write("site/big.bin", big);
  auto whole = Get("/big.bin");
  EXPECT_EQ(whole.status, 200);
  EXPECT_TRUE(whole.body == big) << whole.body.size() << " bytes";

  // A 4 GiB file with no blocks: the handler hands over a slice of it and
  // reads nothing; HEAD answers its size at once.
  const fs::path sparse = sandbox_ / "site/sparse.bin";
  { std::ofstream create(sparse); }
  fs::resize_file(sparse, 4ULL << 30);
  ServiceConfig::Http http;
  http.set_root("site");
  HttpRoutes routes(http, fs::canonical(sandbox_ / "site").string());
  HttpServer::Request request;
  request.method = "GET";
  request.target = "/sparse.bin";
  const HttpServer::Response response = routes.Serve(request);
  ASSERT_NE(response.file, nullptr);
  EXPECT_EQ(response.file->length, 4ULL << 30);
  EXPECT_TRUE(response.body.empty());
  auto head = HttpGet(service_->port(), "/sparse.bin", "127.0.0.1", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.headers.find("Content-Length: 4294967296"), std::string::npos) << head.headers;
  EXPECT_EQ(head.body, "");
  auto tail = HttpGet(service_->port(), "/sparse.bin", "127.0.0.1", "GET", "Range: bytes=-5\r\n");
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, std::string(5, '\0'));
}

TEST_F(HttpServiceRoot, AFifoOrADeviceIsNotServed) {
  ASSERT_EQ(mkfifo((sandbox_ / "site/pipe").c_str(), 0600), 0);
  EXPECT_EQ(Get("/pipe").status, 404);  // and the open did not hang
}

TEST(HttpServiceAddress, BindsTheAgentsLoopbackAddressElseEveryInterface) {
  EXPECT_EQ(ListenAddressFor("127.0.0.1:5051"), "127.0.0.1");
  EXPECT_EQ(ListenAddressFor("127.0.0.2:5051"), "127.0.0.2");
  EXPECT_EQ(ListenAddressFor("localhost:5051"), "127.0.0.1");
  EXPECT_EQ(ListenAddressFor("[::1]:5051"), "::1");
  EXPECT_EQ(ListenAddressFor("10.0.0.5:5051"), "0.0.0.0");
  EXPECT_EQ(ListenAddressFor("agent.example:5051"), "0.0.0.0");
}

TEST(HttpServiceThreads, OnePerStartedCpuWithinBounds) {
  EXPECT_EQ(HttpThreadsForCpus(0), 1);
  EXPECT_EQ(HttpThreadsForCpus(0.1), 1);
  EXPECT_EQ(HttpThreadsForCpus(1), 1);
  EXPECT_EQ(HttpThreadsForCpus(2.5), 3);
  EXPECT_EQ(HttpThreadsForCpus(64), 16);
}

// A client that connected and then sends nothing, or only the start of its
// headers: a loopback socket held open by the test.
class HeldConnection {
 public:
  HeldConnection(std::uint16_t port, const std::string& start) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (connected_ && !start.empty()) {
      connected_ = ::send(fd_, start.data(), start.size(), MSG_NOSIGNAL) ==
                   static_cast<ssize_t>(start.size());
    }
  }
  HeldConnection(HeldConnection&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), connected_(other.connected_) {}
  HeldConnection(const HeldConnection&) = delete;
  HeldConnection& operator=(const HeldConnection&) = delete;
  ~HeldConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Raises the soft limit on open files to `wanted` (the test process holds
// both ends of every connection). An error naming the limits when the hard
// limit does not allow it: the test then fails rather than skips.
std::string RaiseOpenFileLimit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return "getrlimit failed";
  if (limit.rlim_cur >= wanted) return "";
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < wanted) {
    return "needs " + std::to_string(wanted) + " open files; the hard limit is " +
           std::to_string(limit.rlim_max);
  }
  limit.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) return "setrlimit failed";
  return "";
}

TEST(HttpServiceUnderLoad, AThousandIdleOrSlowConnectionsDoNotStopNormalRequests) {
  constexpr int kHeld = 1000;
  const std::string raised = RaiseOpenFileLimit(2 * kHeld + 256);
  ASSERT_EQ(raised, "");
  TempDir sandbox;
  auto service = StartOnAFreePort(PayloadConfig(), sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  const std::uint16_t port = service.value()->port();
  // Half say nothing, half send the start of their headers and stop: far
  // more than the server's connection limit (256).
  std::vector<HeldConnection> held;
  held.reserve(kHeld);
  for (int i = 0; i < kHeld; ++i) {
    held.emplace_back(port, i % 2 == 0 ? "" : "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    ASSERT_TRUE(held.back().connected()) << i;
  }
  for (int i = 0; i < 20; ++i) {
    auto response = HttpGet(port, "/");
    ASSERT_EQ(response.status, 200) << i;
    EXPECT_EQ(response.body, "Hello from Server") << i;
  }
}

TEST(HttpServiceUnderLoad, KeepsConnectionsAliveBetweenRequests) {
  namespace net = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  TempDir sandbox;
  auto service = StartOnAFreePort(PayloadConfig(), sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  net::io_context io;
  net::ip::tcp::socket socket(io);
  beast::error_code ec;
  socket.connect(
      net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), service.value()->port()), ec);
  ASSERT_FALSE(ec) << ec.message();
  // A silent server fails the read instead of hanging the test.
  timeval timeout{10, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  beast::flat_buffer buffer;
  for (int i = 0; i < 5; ++i) {
    http::request<http::empty_body> request{http::verb::get, i % 2 ? "/health" : "/", 11};
    request.set(http::field::host, "127.0.0.1");
    http::write(socket, request, ec);
    ASSERT_FALSE(ec) << i << ": " << ec.message();
    http::response<http::string_body> response;
    http::read(socket, buffer, response, ec);
    ASSERT_FALSE(ec) << i << ": " << ec.message();
    EXPECT_EQ(response.result_int(), 200) << i;
    EXPECT_EQ(response.body(), i % 2 ? "ok" : "Hello from Server") << i;
    EXPECT_TRUE(response.keep_alive()) << i;
  }
}

}  // namespace
}  // namespace mlaunch::executor

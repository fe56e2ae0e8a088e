// The built-in HTTP service on real loopback sockets: payload, health,
// static files, traversal and symlink escapes, a port already taken.
#include "executor/services/http_service.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/curl_http_client.h"
#include "tests/executor/http_get.h"

namespace mlaunch::executor {
namespace {

namespace fs = std::filesystem;
using mlaunch::testing::HttpGet;

// A fresh directory under the system's temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "http_service_test.XXXXXX").native();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  void Write(const std::string& name, const std::string& text) const {
    fs::create_directories((path_ / name).parent_path());
    std::ofstream(path_ / name) << text;
  }

 private:
  fs::path path_;
};

// A port that was free a moment ago: bound by a server on port 0, then freed.
std::uint16_t FreePort() {
  auto server = HttpServer::Start({}, [](const HttpServer::Request&) {
    return HttpServer::Response::Text(200, "");
  });
  EXPECT_TRUE(server.ok());
  std::uint16_t port = server.value()->port();
  server.value()->Stop();
  return port;
}

ServiceConfig PayloadConfig(std::uint16_t port) {
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
  auto service = HttpService::Start(PayloadConfig(FreePort()), "127.0.0.1", sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  auto response = HttpGet(service.value()->port(), "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello from Server");
  EXPECT_NE(response.headers.find("Content-Type: text/plain"), std::string::npos);
  EXPECT_EQ(HttpGet(service.value()->port(), "/other").status, 404);
}

TEST(HttpService, AnswersHeadWithoutABody) {
  TempDir sandbox;
  auto service = HttpService::Start(PayloadConfig(FreePort()), "127.0.0.1", sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  auto response = HttpGet(service.value()->port(), "/", "127.0.0.1", "HEAD");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "");
  EXPECT_NE(response.headers.find("Content-Type: text/plain"), std::string::npos);
}

TEST(HttpService, AnswersHealthWithOk) {
  TempDir sandbox;
  auto service = HttpService::Start(PayloadConfig(FreePort()), "127.0.0.1", sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  auto response = HttpGet(service.value()->port(), "/health");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok");
}

TEST(HttpService, RefusesPostWith405ThroughTheProjectsClient) {
  TempDir sandbox;
  auto service = HttpService::Start(PayloadConfig(FreePort()), "127.0.0.1", sandbox.path());
  ASSERT_TRUE(service.ok()) << service.message();
  CurlHttpClient http;
  auto response = http.Post(service.value()->url() + "/", {}, "x", {});
  ASSERT_TRUE(response.ok()) << response.message();
  EXPECT_EQ(response->status, 405);
}

TEST(HttpService, FailsToStartOnAPortInUseNamingIt) {
  auto taken = HttpServer::Start({}, [](const HttpServer::Request&) {
    return HttpServer::Response::Text(200, "");
  });
  ASSERT_TRUE(taken.ok());
  std::uint16_t port = taken.value()->port();
  TempDir sandbox;
  auto service = HttpService::Start(PayloadConfig(port), "127.0.0.1", sandbox.path());
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.message().find(std::to_string(port)), std::string::npos)
      << service.message();
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
    fs::create_symlink(sandbox_.path() / "secret.txt", sandbox_.path() / "site/escape.txt");
    fs::create_symlink(sandbox_.path() / "site/css/app.css", sandbox_.path() / "site/inside.css");
    ServiceConfig config;
    config.mutable_http()->set_root("site");
    ServiceConfig::Port* p = config.add_ports();
    p->set_name("http");
    p->set_number(FreePort());
    auto service = HttpService::Start(config, "127.0.0.1", sandbox_.path());
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

}  // namespace
}  // namespace mlaunch::executor

// Health-check runners against real sockets and processes: a listening port
// passes TCP, a closed one fails; a command passes on exit 0, fails with its
// status, and is killed at its timeout; an HTTP GET passes on 200-399 in
// time.
#include "executor/services/health_check.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "common/beast_http_client.h"
#include "common/http_server.h"

namespace mlaunch::executor {
namespace {

namespace v1 = mesos::v1;

std::unique_ptr<HttpServer> Listening() {
  auto server = HttpServer::Start(
      {}, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, "ok"); });
  EXPECT_TRUE(server.ok());
  return std::move(server.value());
}

v1::HealthCheck Tcp(uint32_t port) {
  v1::HealthCheck check;
  check.set_type(v1::HealthCheck::TCP);
  check.mutable_tcp()->set_port(port);
  check.set_timeout_seconds(5);
  return check;
}

v1::HealthCheck Command(const std::string& shell, double timeout = 5) {
  v1::HealthCheck check;
  check.set_type(v1::HealthCheck::COMMAND);
  check.mutable_command()->set_value(shell);
  check.set_timeout_seconds(timeout);
  return check;
}

std::string Sandbox() { return std::filesystem::temp_directory_path().native(); }

HttpClient& Client() {
  static BeastHttpClient client;
  return client;
}

TEST(HealthCheck, TcpPassesWhenThePortListens) {
  auto server = Listening();
  CheckOutcome outcome = RunHealthCheck(Tcp(server->port()), "127.0.0.1", Sandbox(), Client());
  EXPECT_TRUE(outcome.healthy) << outcome.detail;
}

TEST(HealthCheck, TcpFailsWhenNothingListens) {
  uint16_t port;
  {
    auto server = Listening();
    port = server->port();
  }
  CheckOutcome outcome = RunHealthCheck(Tcp(port), "127.0.0.1", Sandbox(), Client());
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find(std::to_string(port)), std::string::npos) << outcome.detail;
}

// A server for HTTP checks: /ok 200, /moved 302, /fail 500, /hang answers
// only once released; it remembers the paths asked for.
class HttpHealthCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = HttpServer::Start({}, [this](const HttpServer::Request& request) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        targets_.push_back(request.method + " " + request.target);
      }
      const std::string path(request.path());
      if (path == "/moved") {
        HttpServer::Response response;
        response.status = 302;
        response.headers.Add("Location", "/fail");
        return response;
      }
      if (path == "/fail") return HttpServer::Response::Text(500, "broken");
      if (path == "/hang") {
        std::unique_lock<std::mutex> lock(mutex_);
        released_.wait_for(lock, std::chrono::seconds(10), [&] { return release_; });
      }
      return HttpServer::Response::Text(200, "ok");
    });
    ASSERT_TRUE(started.ok()) << started.message();
    server_ = std::move(started).value();
  }
  void TearDown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      release_ = true;
      released_.notify_all();
    }
    server_.reset();
  }

  v1::HealthCheck Http(const std::string& path, double timeout = 5) {
    v1::HealthCheck check;
    check.set_type(v1::HealthCheck::HTTP);
    check.mutable_http()->set_port(server_->port());
    if (!path.empty()) check.mutable_http()->set_path(path);
    check.set_timeout_seconds(timeout);
    return check;
  }
  CheckOutcome Run(const v1::HealthCheck& check) {
    return RunHealthCheck(check, "127.0.0.1", Sandbox(), client_);
  }
  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mutex_);
    return targets_;
  }
  std::string Url(const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  BeastHttpClient client_;
  std::unique_ptr<HttpServer> server_;

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  std::vector<std::string> targets_;
};

TEST_F(HttpHealthCheck, OkIsHealthyAndTheCheckIsAGetOfThePath) {
  CheckOutcome outcome = Run(Http("/ok?probe=1"));
  EXPECT_TRUE(outcome.healthy) << outcome.detail;
  EXPECT_EQ(outcome.detail, "GET " + Url("/ok?probe=1") + ": HTTP 200");
  EXPECT_EQ(targets(), std::vector<std::string>{"GET /ok?probe=1"});
}

TEST_F(HttpHealthCheck, PathDefaultsToTheRootAndGetsItsSlash) {
  EXPECT_TRUE(Run(Http("")).healthy);
  EXPECT_TRUE(Run(Http("ok")).healthy);
  EXPECT_EQ(targets(), (std::vector<std::string>{"GET /", "GET /ok"}));
}

TEST_F(HttpHealthCheck, RedirectIsHealthyAndNotFollowed) {
  CheckOutcome outcome = Run(Http("/moved"));
  EXPECT_TRUE(outcome.healthy) << outcome.detail;
  EXPECT_EQ(targets().size(), 1u);
}

TEST_F(HttpHealthCheck, ServerErrorIsUnhealthy) {
  CheckOutcome outcome = Run(Http("/fail"));
  EXPECT_FALSE(outcome.healthy);
  EXPECT_EQ(outcome.detail, "GET " + Url("/fail") + ": HTTP 500 (healthy is 200-399)");
}

TEST_F(HttpHealthCheck, AnswerLaterThanTheTimeoutIsUnhealthy) {
  const auto start = std::chrono::steady_clock::now();
  CheckOutcome outcome = Run(Http("/hang", 0.3));
  EXPECT_FALSE(outcome.healthy);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(outcome.detail.rfind("GET " + Url("/hang") + ": ", 0), 0u) << outcome.detail;
}

TEST_F(HttpHealthCheck, NothingListeningIsUnhealthy) {
  v1::HealthCheck check = Http("/ok");
  server_.reset();
  CheckOutcome outcome = Run(check);
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find(std::to_string(check.http().port())), std::string::npos)
      << outcome.detail;
}

TEST_F(HttpHealthCheck, UnknownSchemeIsUnhealthy) {
  v1::HealthCheck check = Http("/ok");
  check.mutable_http()->set_scheme("gopher");
  CheckOutcome outcome = Run(check);
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find("gopher"), std::string::npos);
  EXPECT_TRUE(targets().empty());
}

TEST(HealthCheck, CommandPassesOnExitZero) {
  CheckOutcome outcome = RunHealthCheck(Command("true"), "127.0.0.1", Sandbox(), Client());
  EXPECT_TRUE(outcome.healthy) << outcome.detail;
}

TEST(HealthCheck, CommandFailsWithItsExitStatus) {
  CheckOutcome outcome = RunHealthCheck(Command("exit 2"), "127.0.0.1", Sandbox(), Client());
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find("status 2"), std::string::npos) << outcome.detail;
}

TEST(HealthCheck, CommandIsKilledAtItsTimeout) {
  CheckOutcome outcome =
      RunHealthCheck(Command("exec sleep 600", 0.2), "127.0.0.1", Sandbox(), Client());
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find("timed out"), std::string::npos) << outcome.detail;
}

}  // namespace
}  // namespace mlaunch::executor

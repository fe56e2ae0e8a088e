// Health-check runners against real sockets and processes: a listening port
// passes TCP, a closed one fails; a command passes on exit 0, fails with its
// status, and is killed at its timeout.
#include "executor/services/health_check.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/http_server.h"

namespace mlaunch::executor {
namespace {

namespace v1 = mesos::v1;

std::unique_ptr<HttpServer> Listening() {
  auto server = HttpServer::Start({}, [](const HttpServer::Request&) {
    return HttpServer::Response::Text(200, "ok");
  });
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

TEST(HealthCheck, TcpPassesWhenThePortListens) {
  auto server = Listening();
  CheckOutcome outcome = RunHealthCheck(Tcp(server->port()), "127.0.0.1", Sandbox());
  EXPECT_TRUE(outcome.healthy) << outcome.detail;
}

TEST(HealthCheck, TcpFailsWhenNothingListens) {
  uint16_t port;
  {
    auto server = Listening();
    port = server->port();
  }
  CheckOutcome outcome = RunHealthCheck(Tcp(port), "127.0.0.1", Sandbox());
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find(std::to_string(port)), std::string::npos) << outcome.detail;
}

TEST(HealthCheck, HttpIsJudgedByItsPortForNow) {
  auto server = Listening();
  v1::HealthCheck check;
  check.set_type(v1::HealthCheck::HTTP);
  check.mutable_http()->set_port(server->port());
  check.mutable_http()->set_path("/health");
  EXPECT_TRUE(RunHealthCheck(check, "127.0.0.1", Sandbox()).healthy);
}

TEST(HealthCheck, CommandPassesOnExitZero) {
  CheckOutcome outcome = RunHealthCheck(Command("true"), "127.0.0.1", Sandbox());
  EXPECT_TRUE(outcome.healthy) << outcome.detail;
}

TEST(HealthCheck, CommandFailsWithItsExitStatus) {
  CheckOutcome outcome = RunHealthCheck(Command("exit 2"), "127.0.0.1", Sandbox());
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find("status 2"), std::string::npos) << outcome.detail;
}

TEST(HealthCheck, CommandIsKilledAtItsTimeout) {
  CheckOutcome outcome = RunHealthCheck(Command("exec sleep 600", 0.2), "127.0.0.1", Sandbox());
  EXPECT_FALSE(outcome.healthy);
  EXPECT_NE(outcome.detail.find("timed out"), std::string::npos) << outcome.detail;
}

}  // namespace
}  // namespace mlaunch::executor

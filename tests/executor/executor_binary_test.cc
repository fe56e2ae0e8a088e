// The mesos-launch-executor binary end to end against a fake agent served by
// the project's HTTP server on loopback: the agent's environment, SUBSCRIBE,
// LAUNCH of an HTTP service, TASK_RUNNING, the payload served, KILL,
// TASK_KILLED, acknowledgements and a clean exit. Every wait is bounded and
// event-driven (condition variables); nothing sleeps.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "common/http_server.h"
#include "common/recordio.h"
#include "mesos/v1/executor/executor.pb.h"
#include "mesos_launch/service.pb.h"
#include "tests/executor/http_get.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::executor {
namespace {

namespace fs = std::filesystem;
namespace v1 = mesos::v1;
namespace v1exec = mesos::v1::executor;
using namespace std::chrono_literals;

// An agent that keeps the executor's subscription stream and every call.
class FakeAgent {
 public:
  FakeAgent() {
    auto server = HttpServer::Start({}, [this](const HttpServer::Request& r) { return Handle(r); });
    EXPECT_TRUE(server.ok());
    server_ = std::move(server.value());
  }
  ~FakeAgent() { server_->Stop(); }

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(server_->port()); }

  // Waits (bounded) until a call satisfies `match`; returns it.
  std::optional<v1exec::Call> Await(const std::function<bool(const v1exec::Call&)>& match) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<v1exec::Call> found;
    changed_.wait_for(lock, 10s, [&] {
      for (const v1exec::Call& call : calls_) {
        if (match(call)) {
          found = call;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::optional<v1exec::Call> AwaitUpdate(v1::TaskState state) {
    return Await([state](const v1exec::Call& c) {
      return c.type() == v1exec::Call::UPDATE && c.update().status().state() == state;
    });
  }
  // Waits (bounded) until `n` SUBSCRIBEs arrived; returns the last.
  std::optional<v1exec::Call> AwaitSubscribe(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<v1exec::Call> found;
    changed_.wait_for(lock, 10s, [&] {
      int seen = 0;
      for (const v1exec::Call& call : calls_) {
        if (call.type() == v1exec::Call::SUBSCRIBE && ++seen == n) found = call;
      }
      return found.has_value();
    });
    return found;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(mutex_);
    return authorizations_;
  }
  // Ends the current subscription stream, as an agent restarting does.
  void CloseStream() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stream_) stream_->Close();
    stream_.reset();
  }
  void Send(const v1exec::Event& event) {
    std::shared_ptr<ResponseStream> stream;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stream = stream_;
    }
    ASSERT_NE(stream, nullptr);
    ASSERT_TRUE(stream->Write(RecordIOEncode(event.SerializeAsString())));
  }

 private:
  HttpServer::Response Handle(const HttpServer::Request& r) {
    v1exec::Call call;
    if (r.path() != "/api/v1/executor" || !call.ParseFromString(r.body)) {
      return HttpServer::Response::Text(400, "bad call");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(call);
    authorizations_.push_back(r.headers.Get("Authorization").value_or("(none)"));
    changed_.notify_all();
    HttpServer::Response response;
    if (call.type() == v1exec::Call::SUBSCRIBE) {
      response.headers.Add("Content-Type", "application/x-protobuf");
      response.stream = std::make_shared<ResponseStream>();
      stream_ = response.stream;
      return response;
    }
    response.status = 202;
    return response;
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<ResponseStream> stream_;
  std::vector<v1exec::Call> calls_;
  std::vector<std::string> authorizations_;  // of each call, "(none)" if none
};

// The executor as a child process, reaped by a thread of its own.
class ExecutorProcess {
 public:
  ExecutorProcess(const std::string& endpoint, const std::string& sandbox, bool checkpoint = false,
                  const std::vector<std::string>& more_env = {}) {
    std::string binary = std::string(ML_BINARY_DIR) + "/bin/mesos-launch-executor";
    std::vector<std::string> env = {
        "MESOS_AGENT_ENDPOINT=" + endpoint,
        "MESOS_FRAMEWORK_ID=fw-1",
        "MESOS_EXECUTOR_ID=ex-1",
        "MESOS_SANDBOX=" + sandbox,
        std::string("MESOS_CHECKPOINT=") + (checkpoint ? "1" : "0"),
        "PATH=/usr/bin:/bin",
        "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=1secs",
    };
    env.insert(env.end(), more_env.begin(), more_env.end());
    std::vector<char*> envp;
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char* argv[] = {binary.data(), nullptr};
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execve(argv[0], argv, envp.data());
      ::_exit(127);
    }
    reaper_ = std::thread([this] {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      std::lock_guard<std::mutex> lock(mutex_);
      status_ = status;
      changed_.notify_all();
    });
  }
  // A SIGTERM shuts the executor down with its services; SIGKILL if not.
  ~ExecutorProcess() {
    if (!AwaitExit(0ms)) {
      ::kill(pid_, SIGTERM);
      if (!AwaitExit(10s)) ::kill(pid_, SIGKILL);
    }
    reaper_.join();
  }
  void Terminate() { ::kill(pid_, SIGTERM); }
  // The wait status, once the process has ended within `timeout`.
  std::optional<int> AwaitExit(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return status_.has_value(); });
    return status_;
  }

 private:
  pid_t pid_;
  std::thread reaper_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<int> status_;
};

// A port that was free a moment ago.
uint16_t FreePort() {
  auto server = HttpServer::Start(
      {}, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  EXPECT_TRUE(server.ok());
  return server.value()->port();
}

v1exec::Event Subscribed() {
  v1exec::Event event;
  event.set_type(v1exec::Event::SUBSCRIBED);
  auto* s = event.mutable_subscribed();
  s->mutable_executor_info()->mutable_executor_id()->set_value("ex-1");
  s->mutable_framework_info()->set_user("u");
  s->mutable_framework_info()->set_name("mesos-launch");
  s->mutable_agent_info()->set_hostname("localhost");
  return event;
}

v1exec::Event Launch(const std::string& task_id, const ServiceConfig& config) {
  v1exec::Event event;
  event.set_type(v1exec::Event::LAUNCH);
  v1::TaskInfo* task = event.mutable_launch()->mutable_task();
  task->set_name("web");
  task->mutable_task_id()->set_value(task_id);
  task->mutable_agent_id()->set_value("agent-1");
  task->set_data(config.SerializeAsString());
  return event;
}

v1exec::Event Kill(const std::string& task_id) {
  v1exec::Event event;
  event.set_type(v1exec::Event::KILL);
  event.mutable_kill()->mutable_task_id()->set_value(task_id);
  return event;
}

v1exec::Event Acknowledged(const v1exec::Call& update) {
  v1exec::Event event;
  event.set_type(v1exec::Event::ACKNOWLEDGED);
  *event.mutable_acknowledged()->mutable_task_id() = update.update().status().task_id();
  event.mutable_acknowledged()->set_uuid(update.update().status().uuid());
  return event;
}

class ExecutorBinary : public ::testing::Test {
 protected:
  const mlaunch::testing::TempDir temp_{"executor_binary_test"};
  const std::string sandbox_ = temp_.path();
};

TEST_F(ExecutorBinary, RunsAnHttpServiceUntilKilledAndExitsCleanly) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  auto subscribe =
      agent.Await([](const v1exec::Call& c) { return c.type() == v1exec::Call::SUBSCRIBE; });
  ASSERT_TRUE(subscribe);
  EXPECT_EQ(subscribe->framework_id().value(), "fw-1");
  EXPECT_EQ(subscribe->executor_id().value(), "ex-1");
  agent.Send(Subscribed());

  uint16_t port = FreePort();
  ServiceConfig config;
  config.mutable_http()->set_port_name("http");
  config.mutable_http()->set_path("/");
  config.mutable_http()->set_content_type("text/plain");
  config.mutable_http()->set_body("Hello from Server");
  ServiceConfig::Port* p = config.add_ports();
  p->set_name("http");
  p->set_number(port);
  agent.Send(Launch("web-1", config));

  auto running = agent.AwaitUpdate(v1::TASK_RUNNING);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->update().status().source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(running->update().status().uuid().size(), 16u);
  auto response = testing::HttpGet(port, "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello from Server");

  agent.Send(Kill("web-1"));
  auto killed = agent.AwaitUpdate(v1::TASK_KILLED);
  ASSERT_TRUE(killed);
  auto starting = agent.AwaitUpdate(v1::TASK_STARTING);
  ASSERT_TRUE(starting);
  agent.Send(Acknowledged(*starting));
  agent.Send(Acknowledged(*running));
  agent.Send(Acknowledged(*killed));

  std::optional<int> status = executor.AwaitExit(10s);
  ASSERT_TRUE(status) << "the executor did not exit";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_EQ(testing::HttpGet(port, "/").status, 0) << "the service is still listening";
}

TEST_F(ExecutorBinary, FailsTheTaskWhenItsPortIsTaken) {
  auto taken = HttpServer::Start(
      {}, [](const HttpServer::Request&) { return HttpServer::Response::Text(200, ""); });
  ASSERT_TRUE(taken.ok());
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  ASSERT_TRUE(
      agent.Await([](const v1exec::Call& c) { return c.type() == v1exec::Call::SUBSCRIBE; }));
  agent.Send(Subscribed());
  ServiceConfig config;
  config.mutable_http()->set_body("x");
  ServiceConfig::Port* p = config.add_ports();
  p->set_name("http");
  p->set_number(taken.value()->port());
  agent.Send(Launch("web-1", config));
  auto failed = agent.AwaitUpdate(v1::TASK_FAILED);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->update().status().message().find(std::to_string(taken.value()->port())),
            std::string::npos)
      << failed->update().status().message();
}

TEST_F(ExecutorBinary, RunsACommandToItsExitStatus) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  ASSERT_TRUE(
      agent.Await([](const v1exec::Call& c) { return c.type() == v1exec::Call::SUBSCRIBE; }));
  agent.Send(Subscribed());
  ServiceConfig config;
  config.mutable_command()->set_shell("echo hi; exit 7");
  agent.Send(Launch("job-1", config));
  auto failed = agent.AwaitUpdate(v1::TASK_FAILED);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->update().status().message().find("7"), std::string::npos)
      << failed->update().status().message();
}

TEST_F(ExecutorBinary, SendsTheAgentsTokenAndKeepsItFromItsTasks) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_, false,
                           {"MESOS_EXECUTOR_AUTHENTICATION_TOKEN=the-agents-jwt"});
  ASSERT_TRUE(
      agent.Await([](const v1exec::Call& c) { return c.type() == v1exec::Call::SUBSCRIBE; }));
  agent.Send(Subscribed());
  ServiceConfig config;
  config.mutable_command()->set_shell("env > env.txt");
  agent.Send(Launch("job-1", config));
  ASSERT_TRUE(agent.AwaitUpdate(v1::TASK_FINISHED));
  for (const std::string& authorization : agent.authorizations()) {
    EXPECT_EQ(authorization, "Bearer the-agents-jwt");
  }
  std::ifstream file(fs::path(sandbox_) / "env.txt");
  std::string env((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_NE(env.find("PATH="), std::string::npos) << env;
  EXPECT_EQ(env.find("MESOS_EXECUTOR_AUTHENTICATION_TOKEN"), std::string::npos) << env;
  EXPECT_EQ(env.find("the-agents-jwt"), std::string::npos) << env;
}

TEST_F(ExecutorBinary, ReportsHealthFlipsAndKillsATaskOutOfChecks) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  ASSERT_TRUE(
      agent.Await([](const v1exec::Call& c) { return c.type() == v1exec::Call::SUBSCRIBE; }));
  agent.Send(Subscribed());
  std::ofstream(fs::path(sandbox_) / "up") << "";
  ServiceConfig config;
  config.mutable_command()->set_shell("exec sleep 600");
  v1exec::Event launch = Launch("svc-1", config);
  v1::HealthCheck* check = launch.mutable_launch()->mutable_task()->mutable_health_check();
  check->set_type(v1::HealthCheck::COMMAND);
  check->mutable_command()->set_value("test -f up");
  check->set_delay_seconds(0);
  check->set_interval_seconds(0.1);
  check->set_grace_period_seconds(0);
  check->set_consecutive_failures(2);
  agent.Send(launch);

  auto health = [&](bool healthy) {
    return agent.Await([healthy](const v1exec::Call& c) {
      return c.type() == v1exec::Call::UPDATE && c.update().status().state() == v1::TASK_RUNNING &&
             c.update().status().has_healthy() && c.update().status().healthy() == healthy;
    });
  };
  ASSERT_TRUE(health(true));
  fs::remove(fs::path(sandbox_) / "up");
  ASSERT_TRUE(health(false));
  auto killed = agent.AwaitUpdate(v1::TASK_KILLED);
  ASSERT_TRUE(killed);
  EXPECT_NE(killed->update().status().message().find("health check"), std::string::npos)
      << killed->update().status().message();
}

TEST_F(ExecutorBinary, WithCheckpointingResubscribesWithWhatWasNotAcknowledged) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_, /*checkpoint=*/true);
  ASSERT_TRUE(agent.AwaitSubscribe(1));
  agent.Send(Subscribed());
  ServiceConfig config;
  config.mutable_command()->set_shell("exec sleep 600");
  agent.Send(Launch("svc-1", config));
  auto running = agent.AwaitUpdate(v1::TASK_RUNNING);
  ASSERT_TRUE(running);

  agent.CloseStream();
  auto again = agent.AwaitSubscribe(2);
  ASSERT_TRUE(again) << "the executor did not subscribe again";
  ASSERT_EQ(again->subscribe().unacknowledged_tasks_size(), 1);
  EXPECT_EQ(again->subscribe().unacknowledged_tasks(0).task_id().value(), "svc-1");
  ASSERT_EQ(again->subscribe().unacknowledged_updates_size(), 2);  // STARTING, RUNNING
  EXPECT_EQ(again->subscribe().unacknowledged_updates(1).status().uuid(),
            running->update().status().uuid());
  EXPECT_FALSE(executor.AwaitExit(std::chrono::milliseconds(0)));
}

TEST_F(ExecutorBinary, WithoutCheckpointingExitsWhenTheAgentGoes) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  ASSERT_TRUE(agent.AwaitSubscribe(1));
  agent.Send(Subscribed());
  agent.CloseStream();
  std::optional<int> status = executor.AwaitExit(10s);
  ASSERT_TRUE(status) << "the executor did not exit";
  EXPECT_EQ(WEXITSTATUS(*status), 1);
}

TEST_F(ExecutorBinary, SigtermStopsItsCommandsAndExits) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  ASSERT_TRUE(agent.AwaitSubscribe(1));
  agent.Send(Subscribed());
  ServiceConfig config;
  config.mutable_command()->set_shell("exec sleep 600");
  agent.Send(Launch("svc-1", config));
  ASSERT_TRUE(agent.AwaitUpdate(v1::TASK_RUNNING));
  executor.Terminate();
  auto killed = agent.AwaitUpdate(v1::TASK_KILLED);
  ASSERT_TRUE(killed);
  EXPECT_NE(killed->update().status().message().find("shut down"), std::string::npos)
      << killed->update().status().message();
  std::optional<int> status = executor.AwaitExit(10s);
  ASSERT_TRUE(status) << "the executor did not exit";
  EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST_F(ExecutorBinary, FailsTheTaskOnAChecksumMismatch) {
  FakeAgent agent;
  ExecutorProcess executor(agent.endpoint(), sandbox_);
  ASSERT_TRUE(agent.AwaitSubscribe(1));
  agent.Send(Subscribed());
  std::ofstream(fs::path(sandbox_) / "app.tar.gz") << "tampered";
  ServiceConfig config;
  config.mutable_command()->set_shell("true");
  ServiceConfig::Checksum* checksum = config.add_checksums();
  checksum->set_uri("https://example.org/app.tar.gz");
  checksum->set_file("app.tar.gz");
  checksum->set_sha256(std::string(64, 'a'));
  agent.Send(Launch("job-1", config));
  auto failed = agent.AwaitUpdate(v1::TASK_FAILED);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->update().status().message().find("sha256 mismatch for "
                                                     "https://example.org/app.tar.gz"),
            std::string::npos)
      << failed->update().status().message();
}

TEST_F(ExecutorBinary, ExitsNamingAMissingVariable) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  std::string binary = std::string(ML_BINARY_DIR) + "/bin/mesos-launch-executor";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDERR_FILENO);
    char* argv[] = {binary.data(), nullptr};
    char* envp[] = {nullptr};
    ::execve(argv[0], argv, envp);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(text.find("MESOS_AGENT_ENDPOINT"), std::string::npos) << text;
}

}  // namespace
}  // namespace mlaunch::executor

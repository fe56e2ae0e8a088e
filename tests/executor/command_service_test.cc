// The command service with real processes: exit statuses, signals to the
// whole process group, output into the sandbox, commands that cannot run.
// Exits are awaited with a condition variable and a bounded wait.
#include "executor/services/command_service.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "tests/fakes/temp_dir.h"

namespace mlaunch::executor {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class CommandServiceTest : public ::testing::Test {
 protected:
  const mlaunch::testing::TempDir temp_{"command_service_test"};

  Result<std::unique_ptr<CommandService>> Start(const std::string& shell) {
    ServiceConfig config;
    config.mutable_command()->set_shell(shell);
    return StartConfig(config);
  }
  Result<std::unique_ptr<CommandService>> StartConfig(const ServiceConfig& config) {
    return CommandService::Start(config, sandbox_,
                                 [this](std::optional<int> code, std::optional<int> signal) {
                                   std::lock_guard<std::mutex> lock(mutex_);
                                   exited_ = true;
                                   code_ = code;
                                   signal_ = signal;
                                   changed_.notify_all();
                                 });
  }
  bool AwaitExit() {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return exited_; });
  }
  std::string Read(const std::string& name) {
    std::ifstream file(fs::path(sandbox_) / name);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  const std::string sandbox_ = temp_.path();
  std::mutex mutex_;
  std::condition_variable changed_;
  bool exited_ = false;
  std::optional<int> code_;
  std::optional<int> signal_;
};

TEST_F(CommandServiceTest, ReportsExitStatusZero) {
  auto service = Start("true");
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(code_, 0);
  EXPECT_FALSE(signal_);
}

TEST_F(CommandServiceTest, ReportsANonZeroExitStatus) {
  auto service = Start("exit 3");
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(code_, 3);
}

TEST_F(CommandServiceTest, AppendsOutputToTheSandboxFilesAndRunsThere) {
  std::ofstream(fs::path(sandbox_) / "stdout") << "earlier\n";
  auto service = Start("echo out; echo err >&2; pwd");
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(Read("stdout"), "earlier\nout\n" + fs::canonical(sandbox_).native() + "\n");
  EXPECT_EQ(Read("stderr"), "err\n");
}

TEST_F(CommandServiceTest, ExecsArgsDirectly) {
  ServiceConfig config;
  config.mutable_command()->add_args("sh");
  config.mutable_command()->add_args("-c");
  config.mutable_command()->add_args("exit 4");
  auto service = StartConfig(config);
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(code_, 4);
}

TEST_F(CommandServiceTest, InheritsTheExecutorsEnvironment) {
  ::setenv("PORT_HTTP", "31000", 1);
  auto service = Start("echo $PORT_HTTP");
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(Read("stdout"), "31000\n");
}

TEST_F(CommandServiceTest, ExecsTheExecutableWithArgsAsArgvIncludingArgvZero) {
  // A Mesos CommandInfo with shell=false: `value` exec'd, `arguments` its argv.
  ServiceConfig config;
  config.mutable_command()->set_executable("/bin/sh");
  config.mutable_command()->add_args("not-sh");
  config.mutable_command()->add_args("-c");
  config.mutable_command()->add_args("echo \"$0\"; exit 5");
  auto service = StartConfig(config);
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(code_, 5);
  EXPECT_EQ(Read("stdout"), "not-sh\n");
}

TEST_F(CommandServiceTest, TheCommandsEnvironmentIsSetOverTheExecutors) {
  ::setenv("KEPT", "executor", 1);
  ::setenv("REPLACED", "executor", 1);
  ServiceConfig config;
  config.mutable_command()->set_shell("echo \"$KEPT $REPLACED $ADDED\"");
  auto* replaced = config.mutable_command()->add_environment();
  replaced->set_name("REPLACED");
  replaced->set_value("task");
  auto* added = config.mutable_command()->add_environment();
  added->set_name("ADDED");
  added->set_value("new");
  auto service = StartConfig(config);
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(Read("stdout"), "executor task new\n");
}

TEST_F(CommandServiceTest, ASignalToTheGroupEndsTheCommandAndIsReported) {
  auto service = Start("sleep 600 & wait");
  ASSERT_TRUE(service.ok()) << service.message();
  service.value()->Signal(SIGTERM);
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(signal_, SIGTERM);
  EXPECT_FALSE(code_);
}

TEST_F(CommandServiceTest, FailsToStartACommandThatCannotRun) {
  ServiceConfig config;
  config.mutable_command()->add_args("/nonexistent/program");
  auto service = StartConfig(config);
  ASSERT_FALSE(service.ok());
  EXPECT_NE(service.message().find("/nonexistent/program"), std::string::npos) << service.message();
}

TEST(SignalNumber, ReadsNamesAndNumbers) {
  EXPECT_EQ(SignalNumber("SIGTERM"), SIGTERM);
  EXPECT_EQ(SignalNumber("int"), SIGINT);
  EXPECT_EQ(SignalNumber("9"), SIGKILL);
  EXPECT_EQ(SignalNumber("SIGNOPE"), std::nullopt);
  EXPECT_EQ(SignalNumber(""), std::nullopt);
}

TEST_F(CommandServiceTest, WhatTheCommandLeftRunningEndsWithIt) {
  // A background job that would run for ten minutes, and a command that
  // exits at once with its own code.
  auto service = Start("sleep 600 & echo $! > bg.pid; exit 7");
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(code_, 7);
  const pid_t background = std::stoi(Read("bg.pid"));
  ASSERT_GT(background, 0);
  // Killed by the reaper before the report; its end is awaited on a pidfd
  // (readable once the process has exited, zombie or reaped).
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, background, 0));
  if (pidfd < 0) {
    EXPECT_EQ(errno, ESRCH) << "pidfd_open: " << std::strerror(errno);  // already reaped
    return;
  }
  pollfd ended{pidfd, POLLIN, 0};
  EXPECT_EQ(::poll(&ended, 1, 5000), 1) << "the background job still runs";
  ::close(pidfd);
}

TEST_F(CommandServiceTest, CommandsGetSigpipeAsUsual) {
  // The executor ignores SIGPIPE; `yes` must still die of it, not spin.
  ::signal(SIGPIPE, SIG_IGN);
  auto service = Start("yes | head -n 1 > out.txt");
  ASSERT_TRUE(service.ok()) << service.message();
  ASSERT_TRUE(AwaitExit());
  EXPECT_EQ(code_, 0);
  EXPECT_EQ(Read("out.txt"), "y\n");
}

}  // namespace
}  // namespace mlaunch::executor

// mesos-launch-executor: wiring only. Reads the agent's environment, then
// runs the executor loop (executor_main.h) until the executor core exits.
// Agents start it with no arguments; `--version` prints the version.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "common/beast_http_client.h"
#include "common/build_info.h"
#include "executor/agent_config.h"
#include "executor/executor_main.h"

namespace {

std::optional<std::string> Getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

// A duration variable of the agent's, or `fallback` (with a warning when it
// is set but unreadable).
mlaunch::SteadyMillis Duration(const char* name, mlaunch::SteadyMillis fallback) {
  std::optional<std::string> text = Getenv(name);
  if (!text) return fallback;
  auto millis = mlaunch::executor::ParseMesosDuration(*text);
  if (!millis) {
    std::cerr << "mesos-launch-executor: " << name << "=" << *text << " is not a duration; using "
              << fallback << " ms\n";
    return fallback;
  }
  return *millis;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
    std::cout << mlaunch::ThisBuild().VersionText("mesos-launch-executor");
    return 0;
  }
  if (argc > 1) {
    std::cerr << "mesos-launch-executor: unexpected argument '" << argv[1]
              << "': a Mesos agent starts this program with its environment and no arguments;"
                 " --version prints the version\n";
    return 64;
  }
  ::signal(SIGPIPE, SIG_IGN);
  // One malloc arena: the executor's few threads rarely allocate at once,
  // and an arena per thread costs every one of hundreds of executors on a
  // machine a 64 MiB reservation and its first page faults.
  ::mallopt(M_ARENA_MAX, 1);
  // Taken by the loop's signal thread; blocked before any thread starts.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  std::string error;
  auto config = mlaunch::executor::ReadAgentConfig(Getenv, error);
  if (!config) {
    std::cerr << "mesos-launch-executor: " << error << "\n";
    return 1;
  }
  // The token is the executor's own: no task it starts inherits it.
  ::unsetenv(mlaunch::executor::kTokenVariable);
  mlaunch::executor::ExecutorOptions options;
  options.shutdown_grace = Duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", options.shutdown_grace);
  options.recovery_timeout = Duration("MESOS_RECOVERY_TIMEOUT", options.recovery_timeout);
  mlaunch::BeastHttpClient http;
  mlaunch::executor::LoopOptions loop;
  loop.shutdown_on_signals = true;
  return mlaunch::executor::RunExecutor(*config, std::move(options), http, loop);
}

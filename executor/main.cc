// mesos-launch-executor: wiring only. Reads the agent's environment, then
// runs the executor loop (executor_main.h) until the executor core exits.
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "common/curl_http_client.h"
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
mlaunch::executor::Millis Duration(const char* name, mlaunch::executor::Millis fallback) {
  std::optional<std::string> text = Getenv(name);
  if (!text) return fallback;
  auto millis = mlaunch::executor::ParseMesosDuration(*text);
  if (!millis) {
    std::cerr << "mesos-launch-executor: " << name << "=" << *text
              << " is not a duration; using " << fallback << " ms\n";
    return fallback;
  }
  return *millis;
}

}  // namespace

int main() {
  ::signal(SIGPIPE, SIG_IGN);
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
  mlaunch::executor::ExecutorOptions options;
  options.shutdown_grace = Duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", options.shutdown_grace);
  options.recovery_timeout = Duration("MESOS_RECOVERY_TIMEOUT", options.recovery_timeout);
  mlaunch::CurlHttpClient http;
  mlaunch::executor::LoopOptions loop;
  loop.shutdown_on_signals = true;
  return mlaunch::executor::RunExecutor(*config, std::move(options), http, loop);
}

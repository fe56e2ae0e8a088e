// The executor's run loop: the one place where the agent connection, the
// executor core, the services and the clock meet (docs/architecture.md).
//
// One thread -- the caller's -- owns the core. Everything else (events from
// the agent, service exits, health-check results) is posted to it as work and
// applied in arrival order; the core is ticked when its NextDeadline() is
// due, and the thread sleeps while nothing is posted or due. The
// actions the core returns are carried out here: calls go to the agent,
// services are started (HTTP in process, commands as child process groups)
// and stopped (the task's kill signal, SIGKILL when forced), health checks
// run on threads of their own. A broken subscription is reported to the core
// and, while the core goes on (checkpointing), retried every
// `reconnect_delay`. The loop ends when the core gives an exit code.
#ifndef MLAUNCH_EXECUTOR_EXECUTOR_MAIN_H_
#define MLAUNCH_EXECUTOR_EXECUTOR_MAIN_H_

#include <optional>
#include <string>

#include "common/http_client.h"
#include "executor/agent_config.h"
#include "executor/executor_core.h"

namespace mlaunch::executor {

struct LoopOptions {
  SteadyMillis reconnect_delay = 1000;
  // SIGTERM and SIGINT shut the executor down as the agent's SHUTDOWN does
  // (services stopped with their grace, then exit). REQUIRES: both signals
  // blocked in every thread, i.e. blocked before any thread was started.
  bool shutdown_on_signals = false;
};

// Runs the executor until the core says to exit; returns its exit code.
int RunExecutor(const AgentConfig& config, ExecutorOptions options, HttpClient& http,
                LoopOptions loop = {});

// A Mesos duration ("5secs", "15mins", "100ms", "2.5hrs") in milliseconds;
// nullopt when malformed.
std::optional<SteadyMillis> ParseMesosDuration(const std::string& text);

// 16 random bytes (an update's uuid).
std::string RandomUuid();

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_EXECUTOR_MAIN_H_

// The executor's decisions, as a pure state machine (v1 Executor API,
// docs/mesos-protocol.md, "The executor API"). Events from the agent, from the running
// services and from the clock go in with the current time; actions come
// out: calls to send to the agent, services to start or stop, health checks
// to run, and when to exit. No I/O, no clock, no threads.
//
// It keeps every update until the agent ACKNOWLEDGES it and every task until
// one of its updates is acknowledged, and lists both in SUBSCRIBE after a
// reconnection. Kills honour the kill policy's grace (stop, then force);
// SHUTDOWN stops everything within the shutdown grace period. Health checks
// are timed here (delay, interval, grace period, consecutive failures) and
// run by the caller.
//
// Not thread-safe.
#ifndef MLAUNCH_EXECUTOR_EXECUTOR_CORE_H_
#define MLAUNCH_EXECUTOR_EXECUTOR_CORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/millis.h"
#include "executor/agent_config.h"
#include "mesos/v1/executor/executor.pb.h"
#include "mesos_launch/service.pb.h"

namespace mlaunch::executor {

struct Actions {
  std::vector<mesos::v1::executor::Call> calls;  // to the agent, in order
  // Services to start: the task and what it runs (executor/task_service.h:
  // its ServiceConfig from TaskInfo.data, or its CommandInfo).
  std::vector<std::pair<mesos::v1::TaskInfo, ServiceConfig>> start;
  std::vector<std::string> stop;        // task ids: send the stop signal
  std::vector<std::string> force_stop;  // task ids: SIGKILL now
  std::vector<std::string> run_check;   // task ids: run one health check now
  std::optional<int> exit_code;         // exit the process
};

struct ExecutorOptions {
  std::function<std::string()> new_uuid;           // 16 random bytes per update
  SteadyMillis shutdown_grace = 5000;              // MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD
  SteadyMillis recovery_timeout = 15 * 60 * 1000;  // MESOS_RECOVERY_TIMEOUT
};

class ExecutorCore {
 public:
  ExecutorCore(AgentConfig config, ExecutorOptions options);

  // The subscription connection is open: send SUBSCRIBE.
  Actions Connected(SteadyMillis now);
  // It broke: without checkpointing, stop everything and exit; with it,
  // keep going and reconnect until the recovery timeout.
  Actions Disconnected(SteadyMillis now);
  Actions Handle(const mesos::v1::executor::Event& event, SteadyMillis now);

  // Reports from the services.
  Actions Started(const std::string& task_id, SteadyMillis now);
  Actions FailedToStart(const std::string& task_id, const std::string& why, SteadyMillis now);
  // `exit_code` for a normal exit, or `signal` when killed by one.
  Actions Exited(const std::string& task_id, std::optional<int> exit_code,
                 std::optional<int> signal, SteadyMillis now);
  Actions CheckResult(const std::string& task_id, bool healthy, const std::string& detail,
                      SteadyMillis now);
  Actions Tick(SteadyMillis now);
  // The earliest time at which Tick() has something to do (a kill turning
  // into SIGKILL, a health check, the end of a shutdown's grace or of
  // recovery); nullopt while nothing is due until the next event, so an
  // idle executor sleeps.
  std::optional<SteadyMillis> NextDeadline() const;

  size_t unacknowledged_updates() const { return unacked_updates_.size(); }

 private:
  struct Task {
    mesos::v1::TaskInfo info;
    bool acknowledged_once = false;  // an update of it was acknowledged
    bool running = false;
    bool ended = false;
    bool kill_requested = false;
    std::string kill_reason;
    SteadyMillis force_at = 0;  // when a stop turns into SIGKILL (0: none)
    // Health checking.
    SteadyMillis started_at = 0;
    SteadyMillis next_check = 0;  // 0: none scheduled
    bool check_in_flight = false;
    int failures = 0;
    std::optional<bool> healthy;
  };

  mesos::v1::executor::Call NewCall(mesos::v1::executor::Call::Type type) const;
  void SendUpdate(Task& task, mesos::v1::TaskState state, Actions& out,
                  const std::string& message = {},
                  std::optional<mesos::v1::TaskStatus::Reason> reason = std::nullopt,
                  std::optional<bool> healthy = std::nullopt);
  void Kill(Task& task, SteadyMillis grace, const std::string& why, SteadyMillis now, Actions& out);
  void MaybeExit(SteadyMillis now, Actions& out);

  AgentConfig config_;
  ExecutorOptions options_;
  std::map<std::string, Task> tasks_;  // by task id
  // Sent but not yet acknowledged by the agent, by uuid, in send order.
  std::vector<std::pair<std::string, mesos::v1::executor::Call::Update>> unacked_updates_;
  bool shutting_down_ = false;
  SteadyMillis shutdown_deadline_ = 0;
  bool connected_ = false;
  bool killing_state_ = false;  // the framework wants TASK_KILLING
  SteadyMillis disconnected_at_ = 0;
  bool exited_ = false;
};

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_EXECUTOR_CORE_H_

#include "executor/executor_core.h"

#include <algorithm>

#include "executor/task_service.h"

namespace mlaunch::executor {
namespace {

namespace v1 = mesos::v1;
using Call = v1::executor::Call;
using Event = v1::executor::Event;

constexpr SteadyMillis kDefaultKillGrace = 3000;  // Mesos' command executor's

SteadyMillis GraceOf(const v1::KillPolicy& policy, SteadyMillis fallback) {
  if (!policy.has_grace_period()) return fallback;
  return policy.grace_period().nanoseconds() / 1'000'000;
}

SteadyMillis Seconds(double s) { return static_cast<SteadyMillis>(s * 1000.0); }

}  // namespace

ExecutorCore::ExecutorCore(AgentConfig config, ExecutorOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

Call ExecutorCore::NewCall(Call::Type type) const {
  Call call;
  call.mutable_executor_id()->set_value(config_.executor_id);
  call.mutable_framework_id()->set_value(config_.framework_id);
  call.set_type(type);
  return call;
}

void ExecutorCore::SendUpdate(Task& task, v1::TaskState state, Actions& out,
                              const std::string& message,
                              std::optional<v1::TaskStatus::Reason> reason,
                              std::optional<bool> healthy) {
  Call call = NewCall(Call::UPDATE);
  v1::TaskStatus* status = call.mutable_update()->mutable_status();
  *status->mutable_task_id() = task.info.task_id();
  status->set_state(state);
  status->set_source(v1::TaskStatus::SOURCE_EXECUTOR);
  status->mutable_executor_id()->set_value(config_.executor_id);
  status->set_uuid(options_.new_uuid());
  if (!message.empty()) status->set_message(message);
  if (reason) status->set_reason(*reason);
  if (healthy) status->set_healthy(*healthy);
  unacked_updates_.emplace_back(status->uuid(), call.update());
  out.calls.push_back(std::move(call));
}

Actions ExecutorCore::Connected(SteadyMillis) {
  Actions out;
  connected_ = true;
  Call call = NewCall(Call::SUBSCRIBE);
  Call::Subscribe* subscribe = call.mutable_subscribe();  // present even when empty
  for (const auto& [id, task] : tasks_) {
    if (!task.acknowledged_once) *subscribe->add_unacknowledged_tasks() = task.info;
  }
  for (const auto& [uuid, update] : unacked_updates_) {
    *subscribe->add_unacknowledged_updates() = update;
  }
  out.calls.push_back(std::move(call));
  return out;
}

Actions ExecutorCore::Disconnected(SteadyMillis now) {
  Actions out;
  if (!connected_ || exited_) return out;
  connected_ = false;
  disconnected_at_ = now;
  if (!config_.checkpoint) {
    // Without checkpointing the agent will not come back for us.
    for (auto& [id, task] : tasks_) {
      if (!task.ended) out.force_stop.push_back(id);
    }
    exited_ = true;
    out.exit_code = 1;
  }
  return out;
}

void ExecutorCore::Kill(Task& task, SteadyMillis grace, const std::string& why, SteadyMillis now,
                        Actions& out) {
  if (task.ended || task.kill_requested) return;
  task.kill_requested = true;
  task.kill_reason = why;
  task.next_check = 0;
  if (killing_state_ && task.running) SendUpdate(task, v1::TASK_KILLING, out, why);
  out.stop.push_back(task.info.task_id().value());
  if (grace <= 0) {
    out.force_stop.push_back(task.info.task_id().value());
  } else {
    task.force_at = now + grace;
  }
}

Actions ExecutorCore::Handle(const Event& event, SteadyMillis now) {
  Actions out;
  switch (event.type()) {
    case Event::SUBSCRIBED:
      for (const auto& c : event.subscribed().framework_info().capabilities()) {
        if (c.type() == v1::FrameworkInfo::Capability::TASK_KILLING_STATE) killing_state_ = true;
      }
      break;
    case Event::LAUNCH: {
      const v1::TaskInfo& info = event.launch().task();
      const std::string& id = info.task_id().value();
      if (tasks_.count(id)) break;  // delivered again after a reconnection
      Task& task = tasks_[id];
      task.info = info;
      std::optional<ServiceConfig> service = ServiceForTask(info);
      if (shutting_down_) {
        task.ended = true;
        SendUpdate(task, v1::TASK_KILLED, out, "the executor is shutting down");
      } else if (!service) {
        task.ended = true;
        SendUpdate(task, v1::TASK_FAILED, out,
                   "TaskInfo.data holds no mesos-launch service configuration and the task "
                   "has no CommandInfo: give the task a `command` or launch it with "
                   "mesos-launch",
                   v1::TaskStatus::REASON_TASK_INVALID);
      } else {
        SendUpdate(task, v1::TASK_STARTING, out);
        out.start.emplace_back(info, std::move(*service));
      }
      break;
    }
    case Event::LAUNCH_GROUP:
      for (const v1::TaskInfo& info : event.launch_group().task_group().tasks()) {
        Task& task = tasks_[info.task_id().value()];
        task.info = info;
        task.ended = true;
        SendUpdate(task, v1::TASK_FAILED, out, "mesos-launch-executor runs tasks, not task groups",
                   v1::TaskStatus::REASON_TASK_GROUP_INVALID);
      }
      break;
    case Event::KILL: {
      auto it = tasks_.find(event.kill().task_id().value());
      if (it == tasks_.end()) break;
      SteadyMillis grace = GraceOf(it->second.info.kill_policy(), kDefaultKillGrace);
      if (event.kill().has_kill_policy()) grace = GraceOf(event.kill().kill_policy(), grace);
      Kill(it->second, grace, "killed by the scheduler", now, out);
      break;
    }
    case Event::ACKNOWLEDGED: {
      const std::string& uuid = event.acknowledged().uuid();
      std::erase_if(unacked_updates_, [&](const auto& u) { return u.first == uuid; });
      auto it = tasks_.find(event.acknowledged().task_id().value());
      if (it != tasks_.end()) it->second.acknowledged_once = true;
      MaybeExit(now, out);
      break;
    }
    case Event::SHUTDOWN:
      if (!shutting_down_) {
        shutting_down_ = true;
        shutdown_deadline_ = now + options_.shutdown_grace;
        // Leave a little of the agent's grace for the last updates.
        SteadyMillis grace = std::max<SteadyMillis>(0, options_.shutdown_grace - 1000);
        for (auto& [id, task] : tasks_) {
          Kill(task, std::min(grace, GraceOf(task.info.kill_policy(), kDefaultKillGrace)),
               "the executor was shut down", now, out);
        }
        MaybeExit(now, out);
      }
      break;
    default:  // MESSAGE, ERROR, HEARTBEAT: nothing to decide
      break;
  }
  return out;
}

Actions ExecutorCore::Started(const std::string& task_id, SteadyMillis now) {
  Actions out;
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.ended || it->second.running) return out;
  Task& task = it->second;
  task.running = true;
  task.started_at = now;
  SendUpdate(task, v1::TASK_RUNNING, out);
  if (task.info.has_health_check() && !task.kill_requested) {
    task.next_check = now + Seconds(task.info.health_check().delay_seconds());
  }
  return out;
}

Actions ExecutorCore::FailedToStart(const std::string& task_id, const std::string& why,
                                    SteadyMillis now) {
  Actions out;
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.ended) return out;
  it->second.ended = true;
  SendUpdate(it->second, v1::TASK_FAILED, out, why);
  MaybeExit(now, out);
  return out;
}

Actions ExecutorCore::Exited(const std::string& task_id, std::optional<int> exit_code,
                             std::optional<int> signal, SteadyMillis now) {
  Actions out;
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.ended) return out;
  Task& task = it->second;
  task.ended = true;
  task.force_at = 0;
  task.next_check = 0;
  std::string how = signal ? "killed by signal " + std::to_string(*signal)
                           : "exited with status " + std::to_string(exit_code.value_or(-1));
  if (task.kill_requested) {
    bool health = task.kill_reason.rfind("health check", 0) == 0;
    SendUpdate(task, v1::TASK_KILLED, out, task.kill_reason,
               health ? std::optional(v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED)
                      : std::nullopt,
               health ? std::optional(false) : std::nullopt);
  } else if (exit_code && *exit_code == 0) {
    SendUpdate(task, v1::TASK_FINISHED, out, how);
  } else {
    SendUpdate(task, v1::TASK_FAILED, out, how);
  }
  MaybeExit(now, out);
  return out;
}

Actions ExecutorCore::CheckResult(const std::string& task_id, bool healthy,
                                  const std::string& detail, SteadyMillis now) {
  Actions out;
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || it->second.ended || it->second.kill_requested) return out;
  Task& task = it->second;
  const v1::HealthCheck& check = task.info.health_check();
  task.check_in_flight = false;
  task.next_check = now + Seconds(check.interval_seconds());
  if (healthy) {
    task.failures = 0;
    if (task.healthy != true) {
      task.healthy = true;
      SendUpdate(task, v1::TASK_RUNNING, out, {},
                 v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, true);
    }
    return out;
  }
  // Failures while the service is still starting up do not count.
  bool in_grace = !task.healthy && now - task.started_at < Seconds(check.grace_period_seconds());
  if (in_grace) return out;
  task.failures++;
  if (task.healthy != false) {
    task.healthy = false;
    SendUpdate(task, v1::TASK_RUNNING, out, detail,
               v1::TaskStatus::REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, false);
  }
  if (task.failures >= static_cast<int>(check.consecutive_failures())) {
    Kill(task, GraceOf(task.info.kill_policy(), kDefaultKillGrace),
         "health check failed " + std::to_string(task.failures) + " times in a row: " + detail, now,
         out);
  }
  return out;
}

Actions ExecutorCore::Tick(SteadyMillis now) {
  Actions out;
  if (exited_) return out;
  for (auto& [id, task] : tasks_) {
    if (task.force_at > 0 && now >= task.force_at && !task.ended) {
      out.force_stop.push_back(id);
      task.force_at = 0;
    }
    if (task.running && !task.ended && !task.kill_requested && task.next_check > 0 &&
        now >= task.next_check && !task.check_in_flight) {
      task.check_in_flight = true;
      out.run_check.push_back(id);
    }
  }
  bool recovery_over = !connected_ && config_.checkpoint && disconnected_at_ > 0 &&
                       now - disconnected_at_ >= options_.recovery_timeout;
  if ((shutting_down_ && now >= shutdown_deadline_) || recovery_over) {
    for (auto& [id, task] : tasks_) {
      if (!task.ended) out.force_stop.push_back(id);
    }
    exited_ = true;
    out.exit_code = recovery_over ? 1 : 0;
  }
  return out;
}

// The same conditions as Tick()'s.
std::optional<SteadyMillis> ExecutorCore::NextDeadline() const {
  if (exited_) return std::nullopt;
  std::optional<SteadyMillis> next;
  auto consider = [&next](SteadyMillis at) { next = next ? std::min(*next, at) : at; };
  for (const auto& [id, task] : tasks_) {
    if (task.force_at > 0 && !task.ended) consider(task.force_at);
    if (task.running && !task.ended && !task.kill_requested && task.next_check > 0 &&
        !task.check_in_flight) {
      consider(task.next_check);
    }
  }
  if (!connected_ && config_.checkpoint && disconnected_at_ > 0) {
    consider(disconnected_at_ + options_.recovery_timeout);
  }
  if (shutting_down_) consider(shutdown_deadline_);
  return next;
}

void ExecutorCore::MaybeExit(SteadyMillis, Actions& out) {
  if (exited_) return;
  bool all_ended =
      std::all_of(tasks_.begin(), tasks_.end(), [](const auto& t) { return t.second.ended; });
  if (all_ended && unacked_updates_.empty() && (!tasks_.empty() || shutting_down_)) {
    exited_ = true;
    out.exit_code = 0;
  }
}

}  // namespace mlaunch::executor

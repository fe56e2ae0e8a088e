// The executor core driven by synthetic agent events, service reports and an
// injected clock.
#include "executor/executor_core.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace mlaunch::executor {
namespace {

namespace v1 = mesos::v1;
using Call = v1::executor::Call;
using Event = v1::executor::Event;

class Executor : public ::testing::Test {
 protected:
  explicit Executor(bool checkpoint = true) {
    AgentConfig config;
    config.agent.endpoint = "127.0.0.2:5051";
    config.framework_id = "fw-1";
    config.executor_id = "web.0.x";
    config.sandbox = "/sandbox";
    config.checkpoint = checkpoint;
    ExecutorOptions options;
    options.new_uuid = [this] {
      std::string u(16, '\0');
      u[15] = static_cast<char>(++uuids_);
      return u;
    };
    options.shutdown_grace = 5000;
    options.recovery_timeout = 60000;
    core_ = std::make_unique<ExecutorCore>(config, options);
  }

  void Take(Actions a) {
    calls_.insert(calls_.end(), a.calls.begin(), a.calls.end());
    for (auto& s : a.start) {
      started_.push_back(s.first.task_id().value());
      configs_.push_back(s.second);
    }
    stop_.insert(stop_.end(), a.stop.begin(), a.stop.end());
    force_.insert(force_.end(), a.force_stop.begin(), a.force_stop.end());
    checks_.insert(checks_.end(), a.run_check.begin(), a.run_check.end());
    if (a.exit_code) exit_ = a.exit_code;
  }

  static v1::TaskInfo TaskWith(const std::string& id, bool health = false, bool valid_data = true) {
    v1::TaskInfo t;
    t.set_name("web");
    t.mutable_task_id()->set_value(id);
    t.mutable_agent_id()->set_value("a1");
    t.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(2'000'000'000);
    ServiceConfig service;
    service.mutable_http()->set_body("hi");
    t.set_data(valid_data ? service.SerializeAsString() : "garbage\xff");
    if (health) {
      v1::HealthCheck* h = t.mutable_health_check();
      h->set_type(v1::HealthCheck::TCP);
      h->mutable_tcp()->set_port(31000);
      h->set_delay_seconds(1);
      h->set_interval_seconds(2);
      h->set_grace_period_seconds(5);
      h->set_consecutive_failures(2);
    }
    return t;
  }

  void Launch(const v1::TaskInfo& t) {
    Event e;
    e.set_type(Event::LAUNCH);
    *e.mutable_launch()->mutable_task() = t;
    Take(core_->Handle(e, now_));
  }

  void Ack(const Call& update) {
    Event e;
    e.set_type(Event::ACKNOWLEDGED);
    *e.mutable_acknowledged()->mutable_task_id() = update.update().status().task_id();
    e.mutable_acknowledged()->set_uuid(update.update().status().uuid());
    Take(core_->Handle(e, now_));
  }

  void AckAll() {
    std::vector<Call> updates = Updates();
    for (const Call& c : updates) Ack(c);
  }

  std::vector<Call> Updates() const {
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (c.type() == Call::UPDATE) out.push_back(c);
    }
    return out;
  }

  v1::TaskState LastState() const { return Updates().back().update().status().state(); }

  void Advance(SteadyMillis ms) {
    now_ += ms;
    Take(core_->Tick(now_));
  }

  std::unique_ptr<ExecutorCore> core_;
  std::vector<Call> calls_;
  // A command task as a third-party framework launches it: TaskInfo.command,
  // no executor, no mesos-launch data, no kill policy.
  static v1::TaskInfo CommandTask(const std::string& id, const std::string& shell) {
    v1::TaskInfo t;
    t.set_name(id);
    t.mutable_task_id()->set_value(id);
    t.mutable_agent_id()->set_value("a1");
    t.mutable_command()->set_value(shell);
    return t;
  }

  void Subscribed(bool killing_state) {
    Event e;
    e.set_type(Event::SUBSCRIBED);
    if (killing_state) {
      e.mutable_subscribed()->mutable_framework_info()->add_capabilities()->set_type(
          v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
    }
    Take(core_->Handle(e, now_));
  }

  void Kill(const std::string& id, std::optional<SteadyMillis> grace = std::nullopt) {
    Event kill;
    kill.set_type(Event::KILL);
    kill.mutable_kill()->mutable_task_id()->set_value(id);
    if (grace) {
      kill.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
          *grace * 1'000'000);
    }
    Take(core_->Handle(kill, now_));
  }

  std::vector<v1::TaskState> States() const {
    std::vector<v1::TaskState> states;
    for (const Call& c : Updates()) states.push_back(c.update().status().state());
    return states;
  }

  std::vector<ServiceConfig> configs_;
  std::vector<std::string> started_, stop_, force_, checks_;
  std::optional<int> exit_;
  SteadyMillis now_ = 100'000;
  int uuids_ = 0;
};

TEST_F(Executor, SubscribesWithAPresentButEmptyMessage) {
  Take(core_->Connected(now_));
  ASSERT_EQ(calls_.size(), 1u);
  EXPECT_EQ(calls_[0].type(), Call::SUBSCRIBE);
  EXPECT_TRUE(calls_[0].has_subscribe());
  EXPECT_EQ(calls_[0].SerializeAsString().find(std::string("\x22\x00", 2)) != std::string::npos,
            true);
  EXPECT_EQ(calls_[0].executor_id().value(), "web.0.x");
  EXPECT_EQ(calls_[0].framework_id().value(), "fw-1");
}

TEST_F(Executor, LaunchStartsTheServiceAndReportsStartingThenRunning) {
  Take(core_->Connected(now_));
  Launch(TaskWith("t1"));
  EXPECT_EQ(started_, std::vector<std::string>{"t1"});
  Take(core_->Started("t1", now_));
  std::vector<Call> updates = Updates();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].update().status().state(), v1::TASK_STARTING);
  const v1::TaskStatus& running = updates[1].update().status();
  EXPECT_EQ(running.state(), v1::TASK_RUNNING);
  EXPECT_EQ(running.source(), v1::TaskStatus::SOURCE_EXECUTOR);
  EXPECT_EQ(running.uuid().size(), 16u);
  EXPECT_NE(updates[0].update().status().uuid(), running.uuid());
}

TEST_F(Executor, BadServiceConfigurationFailsTheTask) {
  Launch(TaskWith("t1", false, /*valid_data=*/false));
  EXPECT_TRUE(started_.empty());
  EXPECT_EQ(LastState(), v1::TASK_FAILED);
  EXPECT_EQ(Updates().back().update().status().reason(), v1::TaskStatus::REASON_TASK_INVALID);
}

TEST_F(Executor, ResubscribingResendsWhatWasNotAcknowledged) {
  Take(core_->Connected(now_));
  Launch(TaskWith("t1"));
  Take(core_->Started("t1", now_));
  Ack(Updates()[0]);  // STARTING acknowledged; RUNNING not yet
  Take(core_->Disconnected(now_));
  EXPECT_FALSE(exit_);  // checkpointing: wait for the agent
  calls_.clear();
  Take(core_->Connected(now_ + 1000));
  ASSERT_EQ(calls_.size(), 1u);
  const Call::Subscribe& s = calls_[0].subscribe();
  EXPECT_EQ(s.unacknowledged_tasks_size(), 0);  // one of its updates was acknowledged
  ASSERT_EQ(s.unacknowledged_updates_size(), 1);
  EXPECT_EQ(s.unacknowledged_updates(0).status().state(), v1::TASK_RUNNING);
}

TEST_F(Executor, GivesUpAfterTheRecoveryTimeout) {
  Take(core_->Connected(now_));
  Launch(TaskWith("t1"));
  Take(core_->Disconnected(now_));
  Advance(59'999);
  EXPECT_FALSE(exit_);
  Advance(1);
  EXPECT_EQ(exit_, 1);
  EXPECT_EQ(force_, std::vector<std::string>{"t1"});
}

class ExecutorWithoutCheckpoint : public Executor {
 protected:
  ExecutorWithoutCheckpoint() : Executor(false) {}
};

TEST_F(ExecutorWithoutCheckpoint, ExitsWhenTheAgentGoesAway) {
  Take(core_->Connected(now_));
  Launch(TaskWith("t1"));
  Take(core_->Disconnected(now_));
  EXPECT_EQ(exit_, 1);
  EXPECT_EQ(force_, std::vector<std::string>{"t1"});
}

TEST_F(Executor, KillStopsThenForcesAfterTheGraceAndReportsKilled) {
  Take(core_->Connected(now_));
  Launch(TaskWith("t1"));
  Take(core_->Started("t1", now_));
  Event kill;
  kill.set_type(Event::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  Take(core_->Handle(kill, now_));
  EXPECT_EQ(stop_, std::vector<std::string>{"t1"});
  Advance(1999);
  EXPECT_TRUE(force_.empty());
  Advance(1);
  EXPECT_EQ(force_, std::vector<std::string>{"t1"});
  Take(core_->Exited("t1", std::nullopt, 9, now_));
  EXPECT_EQ(LastState(), v1::TASK_KILLED);
  EXPECT_FALSE(exit_);  // waits for the acknowledgements
  AckAll();
  EXPECT_EQ(exit_, 0);
}

TEST_F(Executor, KillPolicyInTheKillEventOverridesTheTasks) {
  Launch(TaskWith("t1"));
  Take(core_->Started("t1", now_));
  Event kill;
  kill.set_type(Event::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  kill.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(0);
  Take(core_->Handle(kill, now_));
  EXPECT_EQ(force_, std::vector<std::string>{"t1"});
}

TEST_F(Executor, ExitStatusDecidesFinishedOrFailed) {
  Launch(TaskWith("ok"));
  Launch(TaskWith("bad"));
  Launch(TaskWith("sig"));
  Take(core_->Exited("ok", 0, std::nullopt, now_));
  EXPECT_EQ(LastState(), v1::TASK_FINISHED);
  Take(core_->Exited("bad", 3, std::nullopt, now_));
  EXPECT_EQ(LastState(), v1::TASK_FAILED);
  EXPECT_EQ(Updates().back().update().status().message(), "exited with status 3");
  Take(core_->Exited("sig", std::nullopt, 11, now_));
  EXPECT_EQ(Updates().back().update().status().message(), "killed by signal 11");
}

TEST_F(Executor, ShutdownKillsEverythingWithinTheGracePeriod) {
  Launch(TaskWith("t1"));
  Take(core_->Started("t1", now_));
  Event shutdown;
  shutdown.set_type(Event::SHUTDOWN);
  Take(core_->Handle(shutdown, now_));
  EXPECT_EQ(stop_, std::vector<std::string>{"t1"});
  Advance(2000);  // the task's own grace (2s) is within the shutdown grace
  EXPECT_EQ(force_, std::vector<std::string>{"t1"});
  Advance(3000);
  EXPECT_EQ(exit_, 0);  // the shutdown grace is over, acknowledged or not
}

TEST_F(Executor, HealthChecksAreTimedCountedAndKillAfterConsecutiveFailures) {
  Launch(TaskWith("t1", /*health=*/true));
  Take(core_->Started("t1", now_));
  Advance(999);
  EXPECT_TRUE(checks_.empty());
  Advance(1);  // delay 1s
  ASSERT_EQ(checks_.size(), 1u);
  Advance(5000);
  EXPECT_EQ(checks_.size(), 1u);  // one check at a time
  // Failures in the grace period (5s from start) do not count...
  Take(core_->CheckResult("t1", false, "connection refused", now_ - 3000));
  EXPECT_EQ(LastState(), v1::TASK_RUNNING);
  EXPECT_FALSE(Updates().back().update().status().has_healthy());
  Take(core_->CheckResult("t1", true, "", now_));
  EXPECT_TRUE(Updates().back().update().status().healthy());
  Advance(2000);
  ASSERT_EQ(checks_.size(), 2u);
  Take(core_->CheckResult("t1", false, "connection refused", now_));
  EXPECT_FALSE(Updates().back().update().status().healthy());
  EXPECT_TRUE(stop_.empty());
  Advance(2000);
  Take(core_->CheckResult("t1", false, "connection refused", now_));
  EXPECT_EQ(stop_, std::vector<std::string>{"t1"});
  Take(core_->Exited("t1", std::nullopt, 15, now_));
  const v1::TaskStatus last = Updates().back().update().status();
  EXPECT_EQ(last.state(), v1::TASK_KILLED);
  EXPECT_EQ(last.message(), "health check failed 2 times in a row: connection refused");
  EXPECT_FALSE(last.healthy());
}

}  // namespace
}  // namespace mlaunch::executor

namespace mlaunch::executor {
namespace {

// ----- command tasks (TaskInfo.command, Mesos' command executor) -----------

TEST_F(Executor, CommandTaskRunsItsShellCommandThenFinishesOnExitZero) {
  Take(core_->Connected(now_));
  Subscribed(false);
  Launch(CommandTask("c1", "echo hello > out; exit 0"));
  ASSERT_EQ(started_, std::vector<std::string>{"c1"});
  ASSERT_TRUE(configs_[0].has_command());
  EXPECT_EQ(configs_[0].command().shell(), "echo hello > out; exit 0");
  Take(core_->Started("c1", now_));
  Take(core_->Exited("c1", 0, std::nullopt, now_));
  EXPECT_EQ(States(),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_FINISHED}));
  for (const Call& c : Updates()) {
    EXPECT_EQ(c.update().status().source(), v1::TaskStatus::SOURCE_EXECUTOR);
    EXPECT_EQ(c.update().status().executor_id().value(), "web.0.x");
  }
  EXPECT_FALSE(exit_);
  AckAll();
  EXPECT_EQ(exit_, 0);  // one task, ended and acknowledged: the executor is done
}

TEST_F(Executor, CommandTaskFailsNamingTheExitStatusOrTheSignal) {
  Launch(CommandTask("code", "exit 3"));
  Launch(CommandTask("signal", "kill -SEGV $$"));
  Take(core_->Started("code", now_));
  Take(core_->Started("signal", now_));
  Take(core_->Exited("code", 3, std::nullopt, now_));
  EXPECT_EQ(LastState(), v1::TASK_FAILED);
  EXPECT_EQ(Updates().back().update().status().message(), "exited with status 3");
  Take(core_->Exited("signal", std::nullopt, SIGSEGV, now_));
  EXPECT_EQ(LastState(), v1::TASK_FAILED);
  EXPECT_EQ(Updates().back().update().status().message(),
            "killed by signal " + std::to_string(SIGSEGV));
}

TEST_F(Executor, KilledCommandTaskGetsTheDefaultThreeSecondGraceThenKilled) {
  Subscribed(false);
  Launch(CommandTask("c1", "sleep 1000"));
  Take(core_->Started("c1", now_));
  Kill("c1");
  EXPECT_EQ(stop_, std::vector<std::string>{"c1"});
  Advance(2999);
  EXPECT_TRUE(force_.empty());
  Advance(1);
  EXPECT_EQ(force_, std::vector<std::string>{"c1"});
  Take(core_->Exited("c1", std::nullopt, SIGKILL, now_));
  // No TASK_KILLING: the framework did not ask for it.
  EXPECT_EQ(States(),
            (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING, v1::TASK_KILLED}));
}

TEST_F(Executor, CommandTaskKillPolicyThenTheKillEventsOverrideTheDefaultGrace) {
  v1::TaskInfo task = CommandTask("c1", "sleep 1000");
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(1'000'000'000);
  Launch(task);
  Launch(CommandTask("c2", "sleep 1000"));
  Take(core_->Started("c1", now_));
  Take(core_->Started("c2", now_));
  Kill("c1");                               // the task's policy: 1 s
  Kill("c2", /*grace=*/SteadyMillis{500});  // the KILL's policy: 0.5 s
  Advance(499);
  EXPECT_TRUE(force_.empty());
  Advance(1);
  EXPECT_EQ(force_, std::vector<std::string>{"c2"});
  Advance(499);
  EXPECT_EQ(force_, std::vector<std::string>{"c2"});
  Advance(1);
  EXPECT_EQ(force_, (std::vector<std::string>{"c2", "c1"}));
}

TEST_F(Executor, CommandTaskReportsKillingOnlyWithTheCapability) {
  Subscribed(true);
  Launch(CommandTask("c1", "sleep 1000"));
  Take(core_->Started("c1", now_));
  Kill("c1");
  Take(core_->Exited("c1", std::nullopt, SIGTERM, now_));
  EXPECT_EQ(States(), (std::vector<v1::TaskState>{v1::TASK_STARTING, v1::TASK_RUNNING,
                                                  v1::TASK_KILLING, v1::TASK_KILLED}));
}

TEST_F(Executor, TaskWithNeitherServiceNorCommandFailsSayingWhatToGive) {
  v1::TaskInfo task = CommandTask("c1", "true");
  task.clear_command();
  Launch(task);
  EXPECT_TRUE(started_.empty());
  EXPECT_EQ(LastState(), v1::TASK_FAILED);
  EXPECT_NE(Updates().back().update().status().message().find("has no CommandInfo"),
            std::string::npos);
}

// The run loop sleeps until NextDeadline(): it must name the moment Tick()
// acts, and nothing while nothing is due.
TEST_F(Executor, NextDeadlineIsWhenTickActsAndNothingWhileIdle) {
  Take(core_->Connected(now_));
  Launch(TaskWith("plain"));
  Take(core_->Started("plain", now_));
  EXPECT_EQ(core_->NextDeadline(), std::nullopt) << "an idle service needs no tick";

  Launch(TaskWith("checked", /*health=*/true));
  Take(core_->Started("checked", now_));
  ASSERT_EQ(core_->NextDeadline(), now_ + 1000) << "the check's delay";
  Advance(1000);
  ASSERT_EQ(checks_.size(), 1u);
  EXPECT_EQ(core_->NextDeadline(), std::nullopt) << "the check runs; the next waits for it";
  Take(core_->CheckResult("checked", true, "", now_));
  EXPECT_EQ(core_->NextDeadline(), now_ + 2000) << "the interval";

  Kill("plain");
  const SteadyMillis forced_at = now_ + 2000;  // the task's grace
  EXPECT_EQ(core_->NextDeadline(), forced_at);
  Advance(1999);
  EXPECT_TRUE(force_.empty());
  Advance(1);
  EXPECT_EQ(force_, std::vector<std::string>{"plain"});

  Take(core_->Disconnected(now_));
  ASSERT_TRUE(core_->NextDeadline().has_value());
  EXPECT_LE(*core_->NextDeadline(), now_ + 60'000) << "the recovery timeout at the latest";
}

}  // namespace
}  // namespace mlaunch::executor

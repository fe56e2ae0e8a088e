// The scheduler core driven by synthetic events and an injected clock: no
// network, no sleeps. Restarts: scheduler_restart_test.cc; failover:
// scheduler_failover_test.cc.
#include "launcher/scheduler_core.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/launcher/scheduler_fixture.h"

namespace mlaunch {
namespace {

TEST_F(Scheduler, LaunchesEveryInstanceDeclinesTheRestInOneCallAndSuppresses) {
  Start(kWeb);
  Take(core_->Offers(
      {MakeOffer("o1", "a1"), MakeOffer("o2", "a2", 0.1, 64), MakeOffer("o3", "a3", 0.1, 64)},
      now_));
  ASSERT_EQ(Calls(Call::ACCEPT).size(), 1u);
  EXPECT_EQ(Launched(), (std::vector<std::string>{"web.0.u1", "web.1.u2"}));
  const v1::TaskInfo* t = LaunchedInfo("web.0.u1");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->agent_id().value(), "a1");
  EXPECT_TRUE(t->IsInitialized());
  ASSERT_EQ(Calls(Call::DECLINE).size(), 1u);
  EXPECT_EQ(Calls(Call::DECLINE)[0].decline().offer_ids_size(), 2);
  EXPECT_EQ(Calls(Call::SUPPRESS).size(), 1u);
  for (const Call& c : calls_) EXPECT_EQ(c.framework_id().value(), "fw-1");
}

TEST_F(Scheduler, AcknowledgesUpdatesWithAUuidAndShowsTheServiceUrl) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_STARTING);
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_RUNNING, /*with_uuid=*/false);  // e.g. reconciliation
  ASSERT_EQ(Calls(Call::ACKNOWLEDGE).size(), 2u);
  EXPECT_EQ(Calls(Call::ACKNOWLEDGE)[1].acknowledge().task_id().value(), "web.0.u1");
  EXPECT_EQ(Calls(Call::ACKNOWLEDGE)[1].acknowledge().uuid(), std::string(16, 'B'));
  EXPECT_TRUE(Saw("web.0 RUNNING on host-a1")) << Lines();
  EXPECT_TRUE(Saw("web.0 http://host-a1:31000/")) << Lines();
}

// A view may sum up what every instance goes through; the rest it shows.
TEST_F(Scheduler, RoutineEventsAreMarkedAndInstancesCountedByStateInLifecycleOrder) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_FAILED);
  EXPECT_EQ(routine_,
            (std::vector<std::string>{"web.0 LAUNCHED on host-a1 http=31000",
                                      "web.1 LAUNCHED on host-a1 http=31001",
                                      "web.0 RUNNING on host-a1", "web.0 http://host-a1:31000/"}))
      << Lines();
  EXPECT_TRUE(Saw("web.0 restarting in 1s")) << "shown, and not routine";
  const CountsByTask counts = core_->Counts();
  ASSERT_EQ(counts.count("web"), 1u);
  using Row = std::vector<std::pair<std::string_view, std::size_t>>;
  EXPECT_EQ(counts.at("web"), (Row{{"backoff", 1}, {"launched", 1}}));
}

TEST_F(Scheduler, RestartsWithExponentialBackoffThenGivesUp) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("web.0 restarting in 1s (attempt 1 of 3, last: FAILED)")) << Lines();
  Advance(999);
  EXPECT_TRUE(Calls(Call::REVIVE).empty());
  Advance(1);
  ASSERT_EQ(Calls(Call::REVIVE).size(), 1u);  // it waits for offers again
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().back(), "web.0.u3");
  EXPECT_TRUE(Saw("web.0 LAUNCHED on host-a1 http=31000 (attempt 1 of 3)")) << Lines();
  Update("web.0.u3", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("restarting in 2s (attempt 2 of 3")) << Lines();
  Advance(2000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  Update(Launched().back(), v1::TASK_FAILED);
  EXPECT_TRUE(Saw("restarting in 3s (attempt 3 of 3")) << Lines();  // capped at max
  Advance(3000);
  Take(core_->Offers({MakeOffer("o4", "a1")}, now_));
  Update(Launched().back(), v1::TASK_FAILED);
  EXPECT_TRUE(Saw("web.0 gave up: 3 restarts within 30m")) << Lines();
  EXPECT_FALSE(exit_code_);  // web.1 is still being killed
  ASSERT_FALSE(Calls(Call::KILL).empty());
  EXPECT_EQ(Calls(Call::KILL).back().kill().task_id().value(), "web.1.u2");
  Update("web.1.u2", v1::TASK_KILLED);
  EXPECT_EQ(exit_code_, 4);
  EXPECT_EQ(Calls(Call::TEARDOWN).size(), 1u);
}

TEST_F(Scheduler, StopKillsEverythingThenTearsDown) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Take(core_->Stop(now_));
  EXPECT_EQ(Calls(Call::KILL).size(), 2u);
  EXPECT_EQ(Calls(Call::KILL)[0].kill().kill_policy().grace_period().nanoseconds(), 10'000'000'000);
  EXPECT_TRUE(Calls(Call::TEARDOWN).empty());
  Update("web.0.u1", v1::TASK_KILLED);
  EXPECT_FALSE(exit_code_);
  Update("web.1.u2", v1::TASK_KILLED);
  EXPECT_EQ(exit_code_, 0);
  EXPECT_EQ(Calls(Call::TEARDOWN).size(), 1u);
  // Nothing is restarted while stopping.
  EXPECT_EQ(Launched().size(), 2u);
}

TEST_F(Scheduler, SecondStopTearsDownAtOnceAndAStuckStopEndsAtItsDeadline) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Take(core_->Stop(now_));
  EXPECT_FALSE(exit_code_);
  Take(core_->Stop(now_ + 10));
  EXPECT_EQ(exit_code_, 130);  // launched, but nothing ever ran
  EXPECT_EQ(Calls(Call::TEARDOWN).size(), 1u);

  calls_.clear();
  exit_code_.reset();
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Take(core_->Stop(now_));
  Advance(10'000 + 15'000 - 1);
  EXPECT_FALSE(exit_code_);
  Advance(1);
  EXPECT_EQ(exit_code_, 130);
  EXPECT_TRUE(Saw("no end reported for 2 task(s); tearing down")) << Lines();
}

TEST_F(Scheduler, StopWhenNothingEverRanExits130AndShowsTheLastFailure) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_FAILED);
  Take(core_->Stop(now_));
  EXPECT_TRUE(Saw("no instance ever ran (last: web.0 FAILED)")) << Lines();
  Update("web.1.u2", v1::TASK_KILLED);
  EXPECT_EQ(exit_code_, 130);
}

TEST_F(Scheduler, StopBeforeAnythingRanExits130) {
  Start(kWeb);
  Take(core_->Stop(now_));
  EXPECT_EQ(exit_code_, 130);
}

TEST_F(Scheduler, StagingTimeoutKillsAndRestarts) {
  Start(R"(version: 1
tasks: [{name: job, command: "sleep 100", staging_timeout: 30s}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Advance(29'999);
  EXPECT_TRUE(Calls(Call::KILL).empty());
  Advance(1);
  ASSERT_EQ(Calls(Call::KILL).size(), 1u);
  Update("job.0.u1", v1::TASK_KILLED);
  EXPECT_TRUE(
      Saw("restarting in 1s (attempt 1 of 10, last: not running after 30s (staging timeout))"))
      << Lines();
}

TEST_F(Scheduler, PlacementTimeoutExits3AndSaysWhy) {
  Start(R"(version: 1
timeouts: {placement: 20s}
tasks:
  - name: big
    resources: {cpus: 1, mem: 2GiB}
    command: x
    constraints: [[hostname, UNLIKE, "host-b.*"]]
)");
  Take(core_->Offers({MakeOffer("o1", "a1", 4, 1000), MakeOffer("o2", "b2", 4, 9000)}, now_));
  Take(core_->Offers({MakeOffer("o3", "a1", 4, 1000)}, now_ + 6000));
  EXPECT_TRUE(
      Saw("big.0 waiting 6s: 3 offers: 2 short on mem (best 1000 MB < 2080 MB "
          "incl. executor), 1 failed [hostname, UNLIKE, host-b.*]: 'host-b2' matches"))
      << Lines();
  now_ += 6000;
  Advance(14'000);
  EXPECT_EQ(exit_code_, 3);
  EXPECT_TRUE(Saw("big.0 not placed: waiting 20s")) << Lines();
}

TEST_F(Scheduler, DependenciesWaitUntilHealthyAndGetTheAddress) {
  Start(R"(version: 1
tasks:
  - name: primary
    ports: [http]
    command: serve
    health_check: {type: tcp}
  - name: replica
    instances: 2
    depends_on: [{task: primary, condition: healthy}]
    env: {PRIMARY: "${tasks.primary.addr.http}"}
    command: follow
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_EQ(Launched(), (std::vector<std::string>{"primary.0.u1"}));
  Update("primary.0.u1", v1::TASK_RUNNING);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().size(), 1u);  // running, but not yet healthy
  Update("primary.0.u1", v1::TASK_RUNNING, true, true);
  ASSERT_FALSE(Calls(Call::REVIVE).empty());
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  ASSERT_EQ(Launched().size(), 3u);
  const v1::TaskInfo* replica = LaunchedInfo("replica.0.u2");
  ASSERT_NE(replica, nullptr);
  std::string primary;
  for (const auto& v : replica->executor().command().environment().variables()) {
    if (v.name() == "PRIMARY") primary = v.value();
  }
  EXPECT_EQ(primary, "host-a1:31000");
}

TEST_F(Scheduler, CommandsThatFinishCompleteTheRun) {
  Start(R"(version: 1
tasks: [{name: job, instances: 2, command: "true"}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FINISHED);
  EXPECT_FALSE(exit_code_);
  Update("job.1.u2", v1::TASK_FINISHED);
  EXPECT_EQ(exit_code_, 0);
  EXPECT_EQ(Calls(Call::TEARDOWN).size(), 1u);
}

TEST_F(Scheduler, InvalidTasksAreNotRetried) {
  Start(R"(version: 1
tasks: [{name: job, command: "true"}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  v1::TaskStatus s;
  s.mutable_task_id()->set_value("job.0.u1");
  s.set_state(v1::TASK_ERROR);
  s.set_reason(v1::TaskStatus::REASON_TASK_INVALID);
  s.set_message("Task uses invalid resources");
  Take(core_->Update(s, now_));
  EXPECT_TRUE(Saw("job.0 ERROR (task invalid: Task uses invalid resources)")) << Lines();
  EXPECT_EQ(exit_code_, 4);
  EXPECT_TRUE(Calls(Call::ACKNOWLEDGE).empty());  // master updates carry no uuid
}

TEST_F(Scheduler, UnknownRunningTasksAreKilled) {
  Start(kWeb);
  Update("web.0.stale", v1::TASK_RUNNING);
  ASSERT_EQ(Calls(Call::KILL).size(), 1u);
  EXPECT_EQ(Calls(Call::KILL)[0].kill().task_id().value(), "web.0.stale");
  EXPECT_EQ(Calls(Call::ACKNOWLEDGE).size(), 1u);
}

TEST_F(Scheduler, ResubscribingReconcilesKnownTasksAndNeverDuplicates) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  v1::scheduler::Event::Subscribed s;
  s.mutable_framework_id()->set_value("fw-1");
  Take(core_->Subscribed(s, now_));
  ASSERT_EQ(Calls(Call::RECONCILE).size(), 1u);
  EXPECT_EQ(Calls(Call::RECONCILE)[0].reconcile().tasks_size(), 2);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().size(), 2u);  // both instances are known; nothing new
}

// A KILL sent while the master was away is lost; when reconciliation then
// says the task still runs, the KILL goes out again (and only then).
TEST_F(Scheduler, KillIsSentAgainWhenReconciliationSaysTheTaskStillRuns) {
  Start(R"(version: 1
tasks: [{name: job, command: "sleep 100", staging_timeout: 30s}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Advance(30'000);  // staging timeout: KILL
  ASSERT_EQ(Calls(Call::KILL).size(), 1u);
  Update("job.0.u1", v1::TASK_RUNNING);  // a plain update: the kill is under way
  EXPECT_EQ(Calls(Call::KILL).size(), 1u);
  v1::TaskStatus answer;
  answer.mutable_task_id()->set_value("job.0.u1");
  answer.set_state(v1::TASK_RUNNING);
  answer.mutable_agent_id()->set_value("a1");
  answer.set_reason(v1::TaskStatus::REASON_RECONCILIATION);
  Take(core_->Update(answer, now_));
  ASSERT_EQ(Calls(Call::KILL).size(), 2u);
  EXPECT_EQ(Calls(Call::KILL)[1].kill().task_id().value(), "job.0.u1");
  EXPECT_EQ(Calls(Call::KILL)[1].kill().agent_id().value(), "a1");
  answer.set_state(v1::TASK_KILLED);
  Take(core_->Update(answer, now_));
  EXPECT_EQ(Calls(Call::KILL).size(), 2u);  // ended: nothing more to kill
}

// Found by the stream-cut fault test: a REVIVE sent while the stream was
// down is lost, and the master keeps the refusal filters of earlier
// DECLINEs across a re-subscription, so the restarting instance saw no
// offer for minutes. A re-subscription with an instance waiting revives.
TEST_F(Scheduler, ResubscribingWhileAnInstanceWaitsRevivesOffers) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  ASSERT_EQ(Calls(Call::SUPPRESS).size(), 1u);
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_FAILED);
  Advance(1000);
  ASSERT_EQ(Calls(Call::REVIVE).size(), 1u);  // suppose it was lost
  v1::scheduler::Event::Subscribed s;
  s.mutable_framework_id()->set_value("fw-1");
  Take(core_->Subscribed(s, now_));
  EXPECT_EQ(Calls(Call::REVIVE).size(), 2u);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().back(), "web.0.u3");
  // Nothing waits: a re-subscription suppresses offers again, no REVIVE.
  Take(core_->Subscribed(s, now_));
  EXPECT_EQ(Calls(Call::REVIVE).size(), 2u);
  EXPECT_EQ(Calls(Call::SUPPRESS).size(), 3u);
}

TEST_F(Scheduler, AdoptedTasksAreReconciledAndNotLaunchedAgain) {
  Start(kWeb, {Known("web.0.old", "a1"), Known("web.1.old", "a2"), Known("gone.0.x", "a1")});
  ASSERT_EQ(Calls(Call::RECONCILE).size(), 1u);
  EXPECT_EQ(Calls(Call::RECONCILE)[0].reconcile().tasks_size(), 2);
  Update("web.0.old", v1::TASK_RUNNING, /*with_uuid=*/false);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_TRUE(Launched().empty());            // both instances exist
  Update("web.1.old", v1::TASK_LOST, false);  // gone while we were away
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched(), std::vector<std::string>{"web.1.u1"});
}

}  // namespace
}  // namespace mlaunch

namespace mlaunch {
namespace {

TEST_F(Scheduler, ReconcilesImplicitlyEveryIntervalAndKillsWhatItDoesNotKnow) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.1.u2", v1::TASK_RUNNING);
  const std::size_t before = Calls(Call::RECONCILE).size();
  Advance(10 * 60 * 1000 - 1);
  EXPECT_EQ(Calls(Call::RECONCILE).size(), before) << "too early";
  Advance(1);
  ASSERT_EQ(Calls(Call::RECONCILE).size(), before + 1);
  EXPECT_EQ(Calls(Call::RECONCILE).back().reconcile().tasks_size(), 0) << "implicit";
  EXPECT_EQ(Calls(Call::RECONCILE).back().framework_id().value(), "fw-1");

  // The answers: ours change nothing, a stray duplicate is killed.
  Update("web.0.u1", v1::TASK_RUNNING, /*with_uuid=*/false);
  Update("web.0.stray", v1::TASK_RUNNING, /*with_uuid=*/false);
  ASSERT_EQ(Calls(Call::KILL).size(), 1u);
  EXPECT_EQ(Calls(Call::KILL)[0].kill().task_id().value(), "web.0.stray");
  EXPECT_EQ(Launched().size(), 2u);

  Advance(10 * 60 * 1000);
  EXPECT_EQ(Calls(Call::RECONCILE).size(), before + 2) << "and again";
}

}  // namespace
}  // namespace mlaunch

namespace mlaunch {
namespace {

TEST_F(Scheduler, UnansweredTasksAreReconciledAgainWithBackoff) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.1.u2", v1::TASK_RUNNING);
  v1::scheduler::Event::Subscribed s;  // a master failover, say
  s.mutable_framework_id()->set_value("fw-1");
  Take(core_->Subscribed(s, now_));
  ASSERT_EQ(Calls(Call::RECONCILE).size(), 1u);
  EXPECT_EQ(Calls(Call::RECONCILE)[0].reconcile().tasks_size(), 2);

  // Only web.0's agent is back; web.1 gets no answer yet.
  Update("web.0.u1", v1::TASK_RUNNING, /*with_uuid=*/false);
  Advance(4999);
  EXPECT_EQ(Calls(Call::RECONCILE).size(), 1u);
  Advance(1);
  ASSERT_EQ(Calls(Call::RECONCILE).size(), 2u);
  ASSERT_EQ(Calls(Call::RECONCILE)[1].reconcile().tasks_size(), 1);
  EXPECT_EQ(Calls(Call::RECONCILE)[1].reconcile().tasks(0).task_id().value(), "web.1.u2");
  EXPECT_EQ(Calls(Call::RECONCILE)[1].reconcile().tasks(0).agent_id().value(), "a1");
  Advance(9999);
  EXPECT_EQ(Calls(Call::RECONCILE).size(), 2u) << "the wait doubles";
  Advance(1);
  EXPECT_EQ(Calls(Call::RECONCILE).size(), 3u);

  Update("web.1.u2", v1::TASK_RUNNING, /*with_uuid=*/false);
  Advance(120000);
  EXPECT_EQ(Calls(Call::RECONCILE).size(), 3u) << "everything answered";
  EXPECT_EQ(Launched().size(), 2u);
}

}  // namespace
}  // namespace mlaunch

namespace mlaunch {
namespace {

TEST_F(Scheduler, DependsOnStartedWaitsUntilTheTaskRuns) {
  Start(R"(version: 1
tasks:
  - {name: db, command: serve}
  - {name: app, depends_on: [db], command: run}
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_EQ(Launched(), std::vector<std::string>{"db.0.u1"});
  Update("db.0.u1", v1::TASK_STARTING);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().size(), 1u) << "starting is not started";
  const std::size_t revives = Calls(Call::REVIVE).size();
  Update("db.0.u1", v1::TASK_RUNNING);
  EXPECT_EQ(Calls(Call::REVIVE).size(), revives + 1) << "app now waits for an offer";
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  EXPECT_EQ(Launched(), (std::vector<std::string>{"db.0.u1", "app.0.u2"}));
}

TEST_F(Scheduler, DependsOnCompletedWaitsUntilTheTaskFinishedNotJustEnded) {
  Start(R"(version: 1
tasks:
  - {name: migrate, command: "true"}
  - name: app
    depends_on: [{task: migrate, condition: completed}]
    command: run
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_EQ(Launched(), std::vector<std::string>{"migrate.0.u1"});
  Update("migrate.0.u1", v1::TASK_RUNNING);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().size(), 1u) << "running is not completed";
  Update("migrate.0.u1", v1::TASK_FAILED);  // restarted (on-failure), app still waits
  Advance(1000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  EXPECT_EQ(Launched(), (std::vector<std::string>{"migrate.0.u1", "migrate.0.u2"}));
  Update("migrate.0.u2", v1::TASK_FINISHED);
  EXPECT_FALSE(exit_code_) << "app has yet to run";
  Take(core_->Offers({MakeOffer("o4", "a1")}, now_));
  EXPECT_EQ(Launched().back(), "app.0.u3");
}

// One entry per constraint, however many agents failed it: hostname UNIQUE
// names a different host on each, which is left out; a detail every agent
// shares is kept.
TEST_F(Scheduler, TheWaitingReportCountsConstraintMissesByConstraint) {
  Start(R"(version: 1
tasks:
  - name: web
    instances: 4
    command: serve
    constraints: [[hostname, UNIQUE]]
  - name: batch
    command: crunch
    constraints: [[rack, IS, r1]]
)");
  Take(core_->Offers({MakeOffer("o1", "a1"), MakeOffer("o2", "a2"), MakeOffer("o3", "a3")}, now_));
  ASSERT_EQ(Launched().size(), 3u);  // web.0-2, one per host; web.3 and batch wait
  Advance(5000);
  EXPECT_TRUE(Saw("web.3 waiting 5s: 3 offers: 3 failed [hostname, UNIQUE]")) << Lines();
  EXPECT_FALSE(Saw("1 failed [hostname, UNIQUE]")) << Lines();
  EXPECT_TRUE(Saw("batch.0 waiting 5s: 3 offers: 3 failed [rack, IS, r1]: agent has no 'rack'"))
      << Lines();
  // A single miss keeps its detail.
  lines_.clear();
  Take(core_->Offers({MakeOffer("o4", "a1")}, now_));
  Advance(5000);
  EXPECT_TRUE(
      Saw("web.3 waiting 10s: 1 offer: 1 failed [hostname, UNIQUE]: an instance "
          "already runs on host-a1"))
      << Lines();
}

// The update of a task that ended, with its reason and message.
v1::TaskStatus Ending(const std::string& task_id, v1::TaskState state,
                      v1::TaskStatus::Reason reason, const std::string& message) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task_id);
  s.mutable_agent_id()->set_value("a1");
  s.set_state(state);
  s.set_reason(reason);
  s.set_message(message);
  return s;
}

TEST_F(Scheduler, EndingsAreShownWithTheMesosReasonInWords) {
  struct Case {
    v1::TaskState state;
    v1::TaskStatus::Reason reason;
    std::string message;
    std::string shown;
  };
  const std::vector<Case> cases = {
      {v1::TASK_FAILED, v1::TaskStatus::REASON_EXECUTOR_TERMINATED, "Executor terminated",
       "FAILED (executor terminated)"},
      {v1::TASK_FAILED, v1::TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY, "Memory limit exceeded",
       "FAILED (container limitation memory: Memory limit exceeded)"},
      {v1::TASK_LOST, v1::TaskStatus::REASON_AGENT_REMOVED, "", "LOST (agent removed)"},
      {v1::TASK_LOST, v1::TaskStatus::REASON_RECONCILIATION, "Reconciliation: Task is unknown",
       "LOST (Reconciliation: Task is unknown)"},
      {v1::TASK_DROPPED, v1::TaskStatus::REASON_INVALID_OFFERS, "Task launched with invalid offers",
       "DROPPED (invalid offers: Task launched with invalid offers)"},
      {v1::TASK_GONE, v1::TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR, "Agent was marked gone",
       "GONE (agent removed by operator: Agent was marked gone)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shown);
    lines_.clear();
    calls_.clear();
    Start(R"(version: 1
tasks: [{name: job, command: run}]
)");
    Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
    ASSERT_EQ(Launched().size(), 1u);
    Take(core_->Update(Ending(Launched()[0], c.state, c.reason, c.message), now_));
    EXPECT_NE(std::find(lines_.begin(), lines_.end(), "job.0 " + c.shown), lines_.end()) << Lines();
    EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 1 of 10, last: " + c.shown + ")")) << Lines();
  }
}

}  // namespace
}  // namespace mlaunch

namespace mlaunch {
namespace {

// The clock ticks a little after a deadline; "2.0s" would look like more
// than the 2s asked for.
TEST_F(Scheduler, TimesAreShownInSecondsWithTenthsOnlyWhenThereAreAny) {
  Start(R"(version: 1
timeouts: {placement: 2s}
tasks:
  - {name: huge, resources: {cpus: 1, mem: 900TB}, command: x}
  - {name: job, command: x, restart: {backoff: {initial: 1.5s}}}
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  ASSERT_EQ(Launched(), std::vector<std::string>{"job.0.u1"});
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1.5s (attempt 1 of 10")) << Lines();
  Advance(2003);
  EXPECT_TRUE(Saw("huge.0 not placed: waiting 2s: 1 offer: 1 short on mem")) << Lines();
  EXPECT_EQ(exit_code_, 3);
}

}  // namespace
}  // namespace mlaunch

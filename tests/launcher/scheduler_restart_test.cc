// The `restart:` policy in the scheduler core, on the injected clock: which
// endings restart under each policy, max_attempts within the window (and
// the window moving on), the backoff and its reset after a healthy
// period, and the countdown shown while an instance waits out its delay.
#include <gtest/gtest.h>

#include "launcher/compile.h"
#include "tests/launcher/scheduler_fixture.h"

namespace mlaunch {
namespace {

TEST_F(Scheduler, PolicyNeverGivesUpAtTheFirstFailure) {
  Start(R"(version: 1
tasks: [{name: job, command: "false", restart: {policy: never}}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_RUNNING);
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 FAILED; restart: never")) << Lines();
  EXPECT_EQ(exit_code_, 4);
  EXPECT_EQ(Calls(Call::TEARDOWN).size(), 1u);
  Advance(60'000);
  EXPECT_EQ(Launched().size(), 1u);
}

TEST_F(Scheduler, PolicyNeverStillCompletesWhenTheTaskFinishes) {
  Start(R"(version: 1
tasks: [{name: job, command: "true", restart: {policy: never}}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FINISHED);
  EXPECT_EQ(exit_code_, 0);
  EXPECT_EQ(Launched().size(), 1u);
}

TEST_F(Scheduler, AfterFinishedOnFailureIsDoneButAlwaysRestarts) {
  Start(R"(version: 1
tasks: [{name: job, command: "true", restart: {policy: on-failure}}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FINISHED);
  EXPECT_TRUE(Saw("job.0 FINISHED")) << Lines();
  EXPECT_FALSE(Saw("restarting")) << Lines();
  EXPECT_EQ(exit_code_, 0);

  lines_.clear();
  calls_.clear();
  exit_code_.reset();
  Start(R"(version: 1
tasks: [{name: job, command: "true", restart: {policy: always}}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  ASSERT_EQ(Launched().size(), 1u);
  Update(Launched()[0], v1::TASK_FINISHED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 1 of 10, last: finished)")) << Lines();
  EXPECT_FALSE(exit_code_);
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().size(), 2u);
}

TEST_F(Scheduler, OnFailureRestartsAFailure) {
  Start(R"(version: 1
tasks: [{name: job, command: "false", restart: {policy: on-failure}}]
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 1 of 10, last: FAILED)")) << Lines();
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().back(), "job.0.u2");
}

constexpr const char* kTwoInAMinute = R"(version: 1
tasks:
  - name: job
    command: "false"
    restart: {max_attempts: 2, window: 1m, backoff: {initial: 1s, factor: 1, max: 1s}}
)";

TEST_F(Scheduler, MoreThanMaxAttemptsWithinTheWindowGiveUp) {
  Start(kTwoInAMinute);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 1 of 2, last: FAILED)")) << Lines();
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  Update("job.0.u2", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 2 of 2, last: FAILED)")) << Lines();
  Advance(1000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  Update("job.0.u3", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 gave up: 2 restarts within 1m (last: FAILED)")) << Lines();
  EXPECT_EQ(exit_code_, 4);
}

// The defaults end a hopeless run: an instance that fails at once every
// time gives up after 10 restarts, about 5 minutes in (1+2+...+32 s, then
// 1 min each), well within the 30 minute window.
TEST_F(Scheduler, TheDefaultPolicyGivesUpOnAnInstanceThatAlwaysFails) {
  Start("version: 1\ntasks: [{name: web, ports: [http], service: {payload: hi}}]\n");
  const SteadyMillis start = now_;
  for (int launch = 1; !exit_code_ && launch <= 20; ++launch) {
    Take(core_->Offers({MakeOffer("o" + std::to_string(launch), "a1")}, now_));
    ASSERT_EQ(Launched().size(), static_cast<size_t>(launch)) << Lines();
    Update(Launched().back(), v1::TASK_FAILED);
    for (int waited = 0;
         !exit_code_ && Calls(Call::REVIVE).size() < static_cast<size_t>(launch) && waited < 120;
         ++waited) {
      Advance(1000);
    }
  }
  EXPECT_TRUE(Saw("web.0 gave up: 10 restarts within 30m")) << Lines();
  EXPECT_EQ(exit_code_, 4);
  EXPECT_EQ(Launched().size(), 11u);
  EXPECT_GE(now_ - start, 303'000);
  EXPECT_LE(now_ - start, 315'000);
}

TEST_F(Scheduler, RestartsOlderThanTheWindowNoLongerCount) {
  Start(kTwoInAMinute);
  const SteadyMillis start = now_;
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FAILED);  // restart 1, at start
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  Update("job.0.u2", v1::TASK_FAILED);  // restart 2, at start + 1s
  Advance(1000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  Update("job.0.u3", v1::TASK_RUNNING);
  // (Failing now would give up: MoreThanMaxAttemptsWithinTheWindowGiveUp.)
  // At start + 1m + 1s both restarts have left the window: counting
  // starts from zero.
  now_ = start + 61'000;
  Update("job.0.u3", v1::TASK_FAILED);
  EXPECT_FALSE(exit_code_) << Lines();
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 1 of 2, last: FAILED)")) << Lines();
  Advance(1000);
  Take(core_->Offers({MakeOffer("o4", "a1")}, now_));
  Update("job.0.u4", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 2 of 2, last: FAILED)")) << Lines();
  EXPECT_FALSE(exit_code_);
}

TEST_F(Scheduler, OneRestartLeavingTheWindowMakesRoomForOneMore) {
  Start(kTwoInAMinute);
  const SteadyMillis start = now_;
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FAILED);  // at start
  now_ = start + 30'000;
  Advance(0);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  Update("job.0.u2", v1::TASK_FAILED);  // at start + 30s
  Advance(1000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  now_ = start + 60'000;  // the first is out, the second still in
  Update("job.0.u3", v1::TASK_FAILED);
  EXPECT_FALSE(exit_code_) << Lines();
  EXPECT_EQ(lines_.back(), "job.0 restarting in 1s (attempt 2 of 2, last: FAILED)");
}

constexpr const char* kHealthChecked = R"(version: 1
tasks:
  - name: web
    ports: [http]
    service: {payload: hi}
    health_check: {type: tcp}
    restart: {max_attempts: 0, reset_after: 30s, backoff: {initial: 1s, factor: 2, max: 1m}}
)";

TEST_F(Scheduler, BackoffStartsOverOnlyAfterBeingHealthyForResetAfter) {
  Start(kHealthChecked);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 1s (attempt 1, last: FAILED)");

  // Running 40s but never healthy: no reset.
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  Update("web.0.u2", v1::TASK_RUNNING);
  Advance(40'000);
  Update("web.0.u2", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 2s (attempt 2, last: FAILED)");

  // Healthy a moment less than 30s: no reset either.
  Advance(2000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  Update("web.0.u3", v1::TASK_RUNNING);
  Advance(10'000);
  Update("web.0.u3", v1::TASK_RUNNING, true, true);
  Advance(29'999);
  Update("web.0.u3", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 4s (attempt 3, last: FAILED)");

  // Healthy 30s, then unhealthy a while before failing: the healthy
  // stretch forgave the earlier failures.
  Advance(4000);
  Take(core_->Offers({MakeOffer("o4", "a1")}, now_));
  Update("web.0.u4", v1::TASK_RUNNING, true, true);
  Advance(30'000);
  Update("web.0.u4", v1::TASK_RUNNING, true, false);
  Advance(20'000);
  Update("web.0.u4", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 1s (attempt 4, last: FAILED)");
}

TEST_F(Scheduler, WithoutAHealthCheckRunningCountsAsHealthyForTheReset) {
  Start(R"(version: 1
tasks:
  - name: job
    command: serve
    restart: {max_attempts: 0, reset_after: 30s, backoff: {initial: 1s, factor: 2, max: 1m}}
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("job.0.u1", v1::TASK_FAILED);  // never ran
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  Update("job.0.u2", v1::TASK_RUNNING);
  Advance(29'999);
  Update("job.0.u2", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "job.0 restarting in 2s (attempt 2, last: FAILED)");
  Advance(2000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  // Staging for a long time does not count: only running does.
  Advance(60'000);
  Update("job.0.u3", v1::TASK_RUNNING);
  Advance(30'000);
  Update("job.0.u3", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "job.0 restarting in 1s (attempt 3, last: FAILED)");
}

TEST_F(Scheduler, ABackoffCountsDownEveryFewSecondsAndTheRelaunchSaysWhichAttempt) {
  Start(R"(version: 1
tasks:
  - name: web
    ports: [http]
    service: {payload: hi}
    restart: {max_attempts: 5, backoff: {initial: 12s}}
)");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_FAILED);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 12s (attempt 1 of 5, last: FAILED)");
  Advance(4999);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 12s (attempt 1 of 5, last: FAILED)");
  Advance(1);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 7s (attempt 1 of 5)");
  Advance(250);  // the next tick: no line
  EXPECT_EQ(lines_.back(), "web.0 restarting in 7s (attempt 1 of 5)");
  Advance(4750);
  EXPECT_EQ(lines_.back(), "web.0 restarting in 2s (attempt 1 of 5)");
  Advance(1999);
  EXPECT_TRUE(Calls(Call::REVIVE).empty());
  Advance(1);
  ASSERT_EQ(Calls(Call::REVIVE).size(), 1u);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(lines_.back(), "web.0 LAUNCHED on host-a1 http=31000 (attempt 1 of 5)");
  // The RUNNING line that follows says nothing of attempts.
  Update("web.0.u2", v1::TASK_RUNNING);
  ASSERT_GE(lines_.size(), 2u);
  EXPECT_EQ(lines_[lines_.size() - 2], "web.0 RUNNING on host-a1");
  EXPECT_EQ(lines_.back(), "web.0 http://host-a1:31000/");
}

// An executor whose fetched binary the agent refused (compile.h,
// VerifyThenExec): its FAILURE, before or after the task's update, ends the
// run with the cause; relaunching would fetch the same bytes.
class ExecutorChecksum : public Scheduler {
 protected:
  void SetUp() override {
    Start(R"(version: 1
tasks:
  - name: job
    command: "true"
    executor: {uri: "http://10.0.0.1/dl/mesos-launch-executor", checksum: "sha256:)" +
          std::string(64, 'a') + R"("}
)");
    v1::Offer offer = MakeOffer("o1", "a1");
    offer.mutable_url()->set_scheme("http");
    offer.mutable_url()->mutable_address()->set_ip("10.0.0.9");
    offer.mutable_url()->mutable_address()->set_port(5051);
    Take(core_->Offers({offer}, now_));
    ASSERT_EQ(Launched().size(), 1u);
  }

  static v1::scheduler::Event::Failure Of(const std::string& executor_id, int wait_status) {
    v1::scheduler::Event::Failure failure;
    failure.mutable_agent_id()->set_value("a1");
    failure.mutable_executor_id()->set_value(executor_id);
    failure.set_status(wait_status);
    return failure;
  }
  void Failure(const std::string& executor_id, int wait_status, std::string stderr_text = "") {
    Take(core_->Failure(Of(executor_id, wait_status), stderr_text, now_));
  }

  const std::string kCause =
      "FAILED (executor checksum mismatch (expected " + std::string(64, 'a') + ", got other bytes";
};

TEST_F(ExecutorChecksum, AFailureBeforeTheUpdateGivesTheUpdateItsCause) {
  Failure("job.0.u1", kExecutorChecksumExit << 8);
  EXPECT_FALSE(exit_code_);
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 " + kCause)) << Lines();
  EXPECT_EQ(exit_code_, 4);
  Advance(60'000);
  EXPECT_EQ(Launched().size(), 1u);
}

TEST_F(ExecutorChecksum, AFailureAfterTheUpdateCancelsTheRestart) {
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s")) << Lines();
  Failure("job.0.u1", kExecutorChecksumExit << 8);
  EXPECT_TRUE(Saw("job.0 " + kCause)) << Lines();
  EXPECT_EQ(exit_code_, 4);
  Advance(60'000);
  EXPECT_EQ(Launched().size(), 1u);
}

// The agent's check names the digest it found in the executor's stderr;
// the core asks for that file, and shows the digest.
TEST_F(ExecutorChecksum, TheDigestTheAgentFoundIsShownWhenItsStderrCouldBeRead) {
  std::optional<SchedulerCore::SandboxFile> file =
      core_->ExecutorStderr(Of("job.0.u1", kExecutorChecksumExit << 8));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->agent_url, "http://10.0.0.9:5051");
  EXPECT_EQ(file->path, "/frameworks/fw-1/executors/job.0.u1/runs/latest/stderr");
  EXPECT_FALSE(core_->ExecutorStderr(Of("job.0.u1", 1 << 8)));
  EXPECT_FALSE(core_->ExecutorStderr(Of("other.0.u9", kExecutorChecksumExit << 8)));

  const std::string found(64, 'b');
  Failure("job.0.u1", kExecutorChecksumExit << 8,
          "some noise\nexecutor checksum mismatch (expected " + std::string(64, 'a') + ", got " +
              found + ")\n");
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 FAILED (executor checksum mismatch (expected " + std::string(64, 'a') +
                  ", got " + found + "))"))
      << Lines();
  EXPECT_EQ(exit_code_, 4);
}

TEST_F(ExecutorChecksum, TheLastMismatchInTheStderrCountsAndAMissingSha256sumIsNamed) {
  Failure("job.0.u1", kExecutorChecksumExit << 8,
          "executor checksum mismatch (expected " + std::string(64, 'a') + ", got " +
              std::string(64, 'c') + ")\nexecutor checksum mismatch (expected " +
              std::string(64, 'a') + ", got " + std::string(64, 'd') + ")\n");
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 FAILED (executor checksum mismatch (expected " + std::string(64, 'a') +
                  ", got " + std::string(64, 'd') + "))"))
      << Lines();
}

TEST_F(ExecutorChecksum, AnAgentWithoutSha256sumIsNamedAsTheCause) {
  Failure("job.0.u1", kExecutorChecksumExit << 8,
          "executor checksum cannot be checked: this agent has no sha256sum\n");
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 FAILED (executor checksum cannot be checked: the agent has no sha256sum)"))
      << Lines();
  EXPECT_EQ(exit_code_, 4);
}

// A FAILURE for an executor whose instance was launched again since (a
// slow report) changes nothing: the new launch is not blamed.
TEST_F(ExecutorChecksum, AFailureAfterTheRelaunchIsIgnored) {
  Update("job.0.u1", v1::TASK_FAILED);
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  ASSERT_EQ(Launched().size(), 2u);
  Failure("job.0.u1", kExecutorChecksumExit << 8);
  EXPECT_FALSE(exit_code_);
  Update(Launched().back(), v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 2s (attempt 2 of 10, last: FAILED)")) << Lines();
  EXPECT_FALSE(exit_code_);
}

TEST_F(ExecutorChecksum, OtherExitsAndSignalsRestartAsUsual) {
  Failure("job.0.u1", 1 << 8);
  Failure("job.0.u1", 9);  // killed by SIGKILL
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s (attempt 1 of 10, last: FAILED)")) << Lines();
  Failure("job.0.u1", 2 << 8);
  EXPECT_FALSE(exit_code_);
  Advance(1000);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().size(), 2u);
}

TEST_F(Scheduler, ExitCode65OfAnUncheckedExecutorIsJustAFailure) {
  Start("version: 1\ntasks: [{name: job, command: \"true\"}]\n");
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  v1::scheduler::Event::Failure failure;
  failure.mutable_executor_id()->set_value("job.0.u1");
  failure.set_status(kExecutorChecksumExit << 8);
  Take(core_->Failure(failure, "", now_));
  Update("job.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("job.0 restarting in 1s")) << Lines();
  EXPECT_FALSE(exit_code_);
}

}  // namespace
}  // namespace mlaunch

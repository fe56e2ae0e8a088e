// The scheduler core driven by synthetic events and an injected clock: no
// network, no sleeps.
#include "launcher/scheduler_core.h"

#include <gtest/gtest.h>

#include "launcher/compile.h"
#include "launcher/spec/load.h"
#include "tests/fakes/offer_builder.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;
using Call = v1::scheduler::Call;

v1::Offer MakeOffer(const std::string& id, const std::string& agent, double cpus = 4,
                    double mem = 4096) {
  return OfferBuilder(id, agent, "host-" + agent)
      .Scalar("cpus", cpus)
      .Scalar("mem", mem)
      .Ports(31000, 31099)
      .Build();
}

class Scheduler : public ::testing::Test {
 protected:
  void Start(const std::string& yaml) {
    spec::LoadResult r = spec::Load(yaml, "t.yaml");
    for (const Diagnostic& d : r.diagnostics.Sorted()) {
      if (d.severity == Severity::kError) ADD_FAILURE() << Render(d);
    }
    plan_ = Compile(r.spec, {}, {"u"});
    CoreOptions options;
    options.new_uuid = [this] { return "u" + std::to_string(++uuids_); };
    options.waiting_report_every = 5000;
    core_ = std::make_unique<SchedulerCore>(plan_, options);
    v1::scheduler::Event::Subscribed s;
    s.mutable_framework_id()->set_value("fw-1");
    Take(core_->Subscribed(s, now_));
  }

  void Take(Output out) {
    calls_.insert(calls_.end(), out.calls.begin(), out.calls.end());
    for (const ViewEvent& v : out.view) lines_.push_back(v.instance + " " + v.text);
    if (out.exit_code) exit_code_ = out.exit_code;
  }

  std::vector<Call> Calls(Call::Type type) const {
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (c.type() == type) out.push_back(c);
    }
    return out;
  }

  // Task ids launched so far, in order.
  std::vector<std::string> Launched() const {
    std::vector<std::string> ids;
    for (const Call& c : Calls(Call::ACCEPT)) {
      for (const auto& op : c.accept().operations()) {
        for (const v1::TaskInfo& t : op.launch().task_infos()) ids.push_back(t.task_id().value());
      }
    }
    return ids;
  }

  const v1::TaskInfo* LaunchedInfo(const std::string& id) const {
    for (const Call& c : calls_) {
      if (c.type() != Call::ACCEPT) continue;
      for (const auto& op : c.accept().operations()) {
        for (const v1::TaskInfo& t : op.launch().task_infos()) {
          if (t.task_id().value() == id) return &t;
        }
      }
    }
    return nullptr;
  }

  void Update(const std::string& task_id, v1::TaskState state, bool with_uuid = true,
              std::optional<bool> healthy = std::nullopt) {
    v1::TaskStatus s;
    s.mutable_task_id()->set_value(task_id);
    s.set_state(state);
    s.mutable_agent_id()->set_value("a1");
    if (with_uuid) s.set_uuid(std::string(16, static_cast<char>('A' + (updates_++ % 26))));
    if (healthy) s.set_healthy(*healthy);
    Take(core_->Update(s, now_));
  }

  bool Saw(const std::string& text) const {
    for (const std::string& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::string Lines() const {
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }

  void Advance(Millis ms) {
    now_ += ms;
    Take(core_->Tick(now_));
  }

  Plan plan_;
  std::unique_ptr<SchedulerCore> core_;
  std::vector<Call> calls_;
  std::vector<std::string> lines_;
  std::optional<int> exit_code_;
  Millis now_ = 1'000'000;
  int uuids_ = 0;
  int updates_ = 0;
};

constexpr const char* kWeb = R"(version: 1
tasks:
  - name: web
    instances: 2
    resources: {cpus: 0.5, mem: 128}
    ports: [http]
    service: {payload: hi}
    restart: {max_attempts: 3, backoff: {initial: 1s, factor: 2, max: 3s}}
)";

TEST_F(Scheduler, LaunchesEveryInstanceDeclinesTheRestInOneCallAndSuppresses) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1"), MakeOffer("o2", "a2", 0.1, 64), MakeOffer("o3", "a3", 0.1, 64)},
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

TEST_F(Scheduler, RestartsWithExponentialBackoffThenGivesUp) {
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Update("web.0.u1", v1::TASK_RUNNING);
  Update("web.0.u1", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("web.0 restarting in 1s (attempt 1/3, last: FAILED)")) << Lines();
  Advance(999);
  EXPECT_TRUE(Calls(Call::REVIVE).empty());
  Advance(1);
  ASSERT_EQ(Calls(Call::REVIVE).size(), 1u);  // it waits for offers again
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(Launched().back(), "web.0.u3");
  Update("web.0.u3", v1::TASK_FAILED);
  EXPECT_TRUE(Saw("restarting in 2s (attempt 2/3")) << Lines();
  Advance(2000);
  Take(core_->Offers({MakeOffer("o3", "a1")}, now_));
  Update(Launched().back(), v1::TASK_FAILED);
  EXPECT_TRUE(Saw("restarting in 3s (attempt 3/3")) << Lines();  // capped at max
  Advance(3000);
  Take(core_->Offers({MakeOffer("o4", "a1")}, now_));
  Update(Launched().back(), v1::TASK_FAILED);
  EXPECT_TRUE(Saw("web.0 gave up: 3 restarts within 10m")) << Lines();
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
  EXPECT_EQ(exit_code_, 0);
  EXPECT_EQ(Calls(Call::TEARDOWN).size(), 1u);

  calls_.clear();
  exit_code_.reset();
  Start(kWeb);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  Take(core_->Stop(now_));
  Advance(10'000 + 15'000 - 1);
  EXPECT_FALSE(exit_code_);
  Advance(1);
  EXPECT_EQ(exit_code_, 0);
  EXPECT_TRUE(Saw("no end reported for 2 task(s); tearing down")) << Lines();
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
  EXPECT_TRUE(Saw("restarting in 1s (attempt 1/10, last: not running after 30s (staging timeout))"))
      << Lines();
}

TEST_F(Scheduler, PlacementTimeoutExits3AndSaysWhy) {
  Start(R"(version: 1
timeouts: {placement: 20s}
tasks:
  - {name: big, resources: {cpus: 1, mem: 2GiB}, command: x, constraints: [[hostname, UNLIKE, "host-b.*"]]}
)");
  Take(core_->Offers({MakeOffer("o1", "a1", 4, 1000), MakeOffer("o2", "b2", 4, 9000)}, now_));
  Take(core_->Offers({MakeOffer("o3", "a1", 4, 1000)}, now_ + 6000));
  EXPECT_TRUE(Saw("big.0 waiting 6s: 3 offers: 2 short on mem (best 1000 MB < 2080 MB "
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
  spec::LoadResult r = spec::Load(kWeb, "t.yaml");
  plan_ = Compile(r.spec, {}, {"u"});
  CoreOptions options;
  options.new_uuid = [this] { return "u" + std::to_string(++uuids_); };
  core_ = std::make_unique<SchedulerCore>(plan_, options);
  core_->Adopt({{"web.0.old", "a1"}, {"web.1.old", "a2"}, {"gone.0.x", "a1"}}, now_);
  v1::scheduler::Event::Subscribed s;
  s.mutable_framework_id()->set_value("fw-1");
  Take(core_->Subscribed(s, now_));
  ASSERT_EQ(Calls(Call::RECONCILE).size(), 1u);
  EXPECT_EQ(Calls(Call::RECONCILE)[0].reconcile().tasks_size(), 2);
  Update("web.0.old", v1::TASK_RUNNING, /*with_uuid=*/false);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_TRUE(Launched().empty());  // both instances exist
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

// Failover in the scheduler core: the tasks of an earlier run, as the
// state file keeps them (KnownTasks() out, Adopt() back in), come back with
// their host, ports and health, so the live view, the URL, other tasks'
// ${tasks.NAME.addr.PORT} and hostname constraints are as before.
#include <gtest/gtest.h>

#include "tests/launcher/scheduler_fixture.h"

namespace mlaunch {
namespace {

constexpr const char* kChecked = R"(version: 1
tasks:
  - name: web
    ports: [http]
    service: {payload: hi}
    health_check: {type: tcp}
)";

// The master's answer to an explicit reconciliation: no uuid, no health.
v1::TaskStatus Reconciled(const std::string& task_id, v1::TaskState state) {
  v1::TaskStatus s;
  s.mutable_task_id()->set_value(task_id);
  s.mutable_agent_id()->set_value("a1");
  s.set_state(state);
  s.set_source(v1::TaskStatus::SOURCE_MASTER);
  s.set_reason(v1::TaskStatus::REASON_RECONCILIATION);
  s.set_message("Reconciliation: the latest state sent");
  return s;
}

TEST_F(Scheduler, AnAdoptedTaskIsShownWithItsHostAndItsUrlAgain) {
  Start(kChecked, {Known("web.0.old", "a1", "host-a1", {{"http", 31007}}, /*healthy=*/true)});
  Take(core_->Update(Reconciled("web.0.old", v1::TASK_RUNNING), now_));
  EXPECT_TRUE(Saw("web.0 RUNNING on host-a1")) << Lines();
  EXPECT_TRUE(Saw("web.0 http://host-a1:31007/")) << Lines();
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_TRUE(Launched().empty());
  EXPECT_TRUE(Calls(Call::ACKNOWLEDGE).empty());  // no uuid, nothing to acknowledge
}

TEST_F(Scheduler, AnAdoptedTaskLastSeenUnhealthyIsServedOnceHealthy) {
  Start(kChecked, {Known("web.0.old", "a1", "host-a1", {{"http", 31007}}, /*healthy=*/false)});
  Take(core_->Update(Reconciled("web.0.old", v1::TASK_RUNNING), now_));
  EXPECT_TRUE(Saw("web.0 RUNNING on host-a1")) << Lines();
  EXPECT_FALSE(Saw("http://")) << Lines();
  Update("web.0.old", v1::TASK_RUNNING, true, true);
  EXPECT_TRUE(Saw("web.0 http://host-a1:31007/")) << Lines();
}

TEST_F(Scheduler, AnAdoptedPrimaryGivesItsAddressToReplicasLaunchedLater) {
  Start(R"(version: 1
tasks:
  - name: primary
    ports: [http]
    command: serve
    health_check: {type: tcp}
  - name: replica
    depends_on: [{task: primary, condition: healthy}]
    env: {PRIMARY: "${tasks.primary.addr.http}"}
    command: follow
)",
        {Known("primary.0.old", "a7", "host-a7", {{"http", 31042}}, /*healthy=*/true)});
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_TRUE(Launched().empty()) << "the primary's state is not known yet";
  Take(core_->Update(Reconciled("primary.0.old", v1::TASK_RUNNING), now_));
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  ASSERT_EQ(Launched(), std::vector<std::string>{"replica.0.u1"});
  std::string primary;
  for (const auto& v :
       LaunchedInfo("replica.0.u1")->executor().command().environment().variables()) {
    if (v.name() == "PRIMARY") primary = v.value();
  }
  EXPECT_EQ(primary, "host-a7:31042");
}

TEST_F(Scheduler, AdoptedInstancesCountForHostnameUnique) {
  Start(R"(version: 1
tasks:
  - name: web
    instances: 2
    ports: [http]
    service: {payload: hi}
    constraints: [[hostname, UNIQUE]]
)",
        {Known("web.0.old", "a1", "host-a1", {{"http", 31000}}, true)});
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_TRUE(Launched().empty()) << "web.0 already runs on host-a1";
  Take(core_->Offers({MakeOffer("o2", "a2")}, now_));
  EXPECT_EQ(Launched(), std::vector<std::string>{"web.1.u1"});
  EXPECT_EQ(LaunchedInfo("web.1.u1")->agent_id().value(), "a2");
}

TEST_F(Scheduler, AdoptedInstancesCountForMaxPerAttribute) {
  Start(R"(version: 1
tasks:
  - name: web
    instances: 3
    command: serve
    constraints: [[rack, MAX_PER, 2]]
)",
        {Known("web.0.old", "a1", "host-a1", {}, true, {{"rack", "r1"}}),
         Known("web.1.old", "a2", "host-a2", {}, true, {{"rack", "r1"}})});
  Take(core_->Offers({OfferBuilder("o1", "a3", "host-a3")
                          .Scalar("cpus", 4)
                          .Scalar("mem", 4096)
                          .Attribute("rack", "r1")
                          .Build()},
                     now_));
  EXPECT_TRUE(Launched().empty()) << "rack r1 holds two already";
  Take(core_->Offers({OfferBuilder("o2", "a4", "host-a4")
                          .Scalar("cpus", 4)
                          .Scalar("mem", 4096)
                          .Attribute("rack", "r2")
                          .Build()},
                     now_));
  EXPECT_EQ(Launched(), std::vector<std::string>{"web.2.u1"});
}

// A state file of an older version kept task and agent ids only.
TEST_F(Scheduler, AnAdoptedTaskWithNoHostnameLearnsItFromAnOfferOfItsAgent) {
  Start(kChecked, {Known("web.0.old", "a1")});
  Take(core_->Update(Reconciled("web.0.old", v1::TASK_RUNNING), now_));
  EXPECT_TRUE(Saw("web.0 RUNNING on agent a1")) << Lines();
  Take(core_->Offers({MakeOffer("o1", "a2")}, now_));
  EXPECT_EQ(save_, Output::Save::kNo);
  Take(core_->Offers({MakeOffer("o2", "a1")}, now_));
  EXPECT_EQ(save_, Output::Save::kSoon);
  ASSERT_EQ(core_->KnownTasks().size(), 1u);
  EXPECT_EQ(core_->KnownTasks()[0].hostname, "host-a1");
}

TEST_F(Scheduler, KnownTasksChangeWithLaunchesAndHealthAndAdoptTakesThemBack) {
  Start(kChecked);
  Take(core_->Offers({MakeOffer("o1", "a1")}, now_));
  EXPECT_EQ(save_, Output::Save::kBeforeCalls) << "a launch is saved before its ACCEPT is sent";
  ASSERT_EQ(core_->KnownTasks().size(), 1u);
  KnownTask launched = core_->KnownTasks()[0];
  EXPECT_EQ(launched.task_id, "web.0.u1");
  EXPECT_EQ(launched.agent_id, "a1");
  EXPECT_EQ(launched.hostname, "host-a1");
  EXPECT_EQ(launched.ports, (std::map<std::string, uint32_t>{{"http", 31000}}));
  EXPECT_FALSE(launched.healthy);
  Update("web.0.u1", v1::TASK_RUNNING);
  EXPECT_EQ(save_, Output::Save::kNo);
  Update("web.0.u1", v1::TASK_RUNNING, true, true);
  EXPECT_EQ(save_, Output::Save::kSoon) << "a change of health is saved, with others";
  ASSERT_EQ(core_->KnownTasks().size(), 1u);
  EXPECT_TRUE(core_->KnownTasks()[0].healthy);

  std::vector<KnownTask> saved = core_->KnownTasks();
  Start(kChecked, saved);
  ASSERT_EQ(core_->KnownTasks().size(), 1u);
  EXPECT_EQ(core_->KnownTasks()[0].task_id, saved[0].task_id);
  EXPECT_EQ(core_->KnownTasks()[0].hostname, saved[0].hostname);
  EXPECT_EQ(core_->KnownTasks()[0].ports, saved[0].ports);
  EXPECT_TRUE(core_->KnownTasks()[0].healthy);

  Update("web.0.u1", v1::TASK_KILLED);
  EXPECT_TRUE(core_->KnownTasks().empty()) << "an ended task is no longer known";
}

}  // namespace
}  // namespace mlaunch

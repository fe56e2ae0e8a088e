// MasterCore driven with synthetic calls, agent reports and an injected
// clock: no sockets, no threads, no sleeps.
#include "cluster/master_core.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace mlaunch::cluster {
namespace {

using mesos::v1::TaskState;
using mesos::v1::TaskStatus;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

constexpr UnixMillis kStart = 1'700'000'000'000;

mesos::v1::Resource Scalar(const std::string& name, double value) {
  mesos::v1::Resource r;
  r.set_name(name);
  r.set_type(mesos::v1::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  r.set_role("*");
  return r;
}

mesos::v1::Resource Ports(std::uint64_t begin, std::uint64_t end) {
  mesos::v1::Resource r;
  r.set_name("ports");
  r.set_type(mesos::v1::Value::RANGES);
  auto* range = r.mutable_ranges()->add_range();
  range->set_begin(begin);
  range->set_end(end);
  r.set_role("*");
  return r;
}

mesos::v1::FrameworkInfo Framework(double failover_timeout = 0) {
  mesos::v1::FrameworkInfo info;
  info.set_user("alice");
  info.set_name("test");
  info.set_failover_timeout(failover_timeout);
  return info;
}

mesos::v1::FrameworkInfo MultiRoleFramework(std::vector<std::string> roles) {
  mesos::v1::FrameworkInfo info = Framework();
  info.add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::MULTI_ROLE);
  for (const auto& role : roles) info.add_roles(role);
  return info;
}

std::vector<Event> EventsOn(const MasterOutput& out, const std::string& stream) {
  std::vector<Event> events;
  for (const auto& e : out.events) {
    if (e.stream_id == stream) events.push_back(e.event);
  }
  return events;
}

std::vector<Event::Type> Types(const std::vector<Event>& events) {
  std::vector<Event::Type> types;
  for (const auto& e : events) types.push_back(e.type());
  return types;
}

std::vector<mesos::v1::Offer> OffersIn(const MasterOutput& out) {
  std::vector<mesos::v1::Offer> offers;
  for (const auto& e : out.events) {
    if (e.event.type() != Event::OFFERS) continue;
    for (const auto& o : e.event.offers().offers()) offers.push_back(o);
  }
  return offers;
}

std::vector<TaskStatus> UpdatesIn(const MasterOutput& out) {
  std::vector<TaskStatus> updates;
  for (const auto& e : out.events) {
    if (e.event.type() == Event::UPDATE) updates.push_back(e.event.update().status());
  }
  return updates;
}

template <typename T>
std::vector<T> Requests(const MasterOutput& out) {
  std::vector<T> found;
  for (const auto& r : out.agent_requests) {
    if (const T* t = std::get_if<T>(&r)) found.push_back(*t);
  }
  return found;
}

class MasterCoreTest : public ::testing::Test {
 protected:
  MasterCoreTest() : core_(Options()) {}

  static MasterOptions Options() {
    MasterOptions options;
    options.master_id = "M";
    options.new_uuid = [n = 0]() mutable {
      std::string bytes(16, '\0');
      bytes[15] = static_cast<char>(++n);
      return bytes;
    };
    return options;
  }

  std::string AddAgent(const std::string& hostname = "agent1") {
    mesos::v1::AgentInfo info;
    info.set_hostname(hostname);
    *info.add_resources() = Scalar("cpus", 4);
    *info.add_resources() = Scalar("mem", 4096);
    *info.add_resources() = Ports(31000, 31009);
    auto* rack = info.add_attributes();
    rack->set_name("rack");
    rack->set_type(mesos::v1::Value::TEXT);
    rack->mutable_text()->set_value("r1");
    return core_.AddAgent(info, "127.0.0.2");
  }

  // Subscribes and returns the stream id; framework_id_ is set.
  std::string Subscribe(const mesos::v1::FrameworkInfo& info,
                        std::vector<std::string> suppressed = {}) {
    Call call;
    call.set_type(Call::SUBSCRIBE);
    *call.mutable_subscribe()->mutable_framework_info() = info;
    if (info.has_id()) *call.mutable_framework_id() = info.id();
    for (const auto& r : suppressed) call.mutable_subscribe()->add_suppressed_roles(r);
    auto sub = core_.Subscribe(call, std::nullopt, now_);
    last_ = sub.output;
    for (const auto& e : EventsOn(sub.output, sub.stream_id)) {
      if (e.type() == Event::SUBSCRIBED) {
        framework_id_ = e.subscribed().framework_id().value();
      }
    }
    return sub.stream_id;
  }

  Call NewCall(Call::Type type) {
    Call call;
    call.set_type(type);
    call.mutable_framework_id()->set_value(framework_id_);
    return call;
  }

  MasterOutput Handle(const Call& call) { return core_.Handle(call, now_); }
  MasterOutput Tick() { return core_.Tick(now_); }

  mesos::v1::Offer OneOffer() {
    auto offers = OffersIn(Tick());
    EXPECT_EQ(offers.size(), 1u);
    return offers.empty() ? mesos::v1::Offer() : offers[0];
  }

  mesos::v1::TaskInfo CommandTask(const std::string& id, const mesos::v1::Offer& offer,
                                  double cpus = 1, double mem = 128) {
    mesos::v1::TaskInfo task;
    task.set_name(id);
    task.mutable_task_id()->set_value(id);
    *task.mutable_agent_id() = offer.agent_id();
    *task.add_resources() = Scalar("cpus", cpus);
    *task.add_resources() = Scalar("mem", mem);
    task.mutable_command()->set_value("sleep 1000");
    return task;
  }

  Call Launch(const std::vector<std::string>& offer_ids,
              const std::vector<mesos::v1::TaskInfo>& tasks,
              std::optional<double> refuse_seconds = std::nullopt) {
    Call call = NewCall(Call::ACCEPT);
    for (const auto& id : offer_ids) call.mutable_accept()->add_offer_ids()->set_value(id);
    auto* op = call.mutable_accept()->add_operations();
    op->set_type(mesos::v1::Offer::Operation::LAUNCH);
    for (const auto& t : tasks) *op->mutable_launch()->add_task_infos() = t;
    if (refuse_seconds)
      call.mutable_accept()->mutable_filters()->set_refuse_seconds(*refuse_seconds);
    return call;
  }

  TaskStatus AgentStatus(const std::string& task_id, TaskState state, char uuid_tag) {
    TaskStatus status;
    status.mutable_task_id()->set_value(task_id);
    status.set_state(state);
    status.set_source(TaskStatus::SOURCE_EXECUTOR);
    status.set_uuid(std::string(15, 'U') + uuid_tag);
    return status;
  }

  Call Ack(const std::string& agent_id, const TaskStatus& status) {
    Call call = NewCall(Call::ACKNOWLEDGE);
    call.mutable_acknowledge()->mutable_agent_id()->set_value(agent_id);
    *call.mutable_acknowledge()->mutable_task_id() = status.task_id();
    call.mutable_acknowledge()->set_uuid(status.uuid());
    return call;
  }

  // Subscribes a framework, launches task "t1" on the one agent.
  std::string LaunchOneTask(const mesos::v1::FrameworkInfo& info, std::string* stream = nullptr) {
    const std::string agent = AddAgent();
    const std::string s = Subscribe(info);
    if (stream) *stream = s;
    const auto offer = OneOffer();
    auto out = Handle(Launch({offer.id().value()}, {CommandTask("t1", offer)}));
    EXPECT_EQ(Requests<LaunchTasks>(out).size(), 1u);
    return agent;
  }

  MasterCore core_;
  UnixMillis now_ = kStart;
  MasterOutput last_;
  std::string framework_id_;
};

TEST_F(MasterCoreTest, SubscribeSendsSubscribedThenHeartbeatOnItsStream) {
  const std::string stream = Subscribe(Framework());
  EXPECT_EQ(stream, "00000000-0000-0000-0000-000000000001");
  auto events = EventsOn(last_, stream);
  ASSERT_EQ(Types(events), (std::vector<Event::Type>{Event::SUBSCRIBED, Event::HEARTBEAT}));
  EXPECT_EQ(events[0].subscribed().framework_id().value(), "M-0000");
  EXPECT_EQ(events[0].subscribed().heartbeat_interval_seconds(), 15.0);
  EXPECT_EQ(events[0].subscribed().master_info().id(), "M");
  EXPECT_EQ(events[0].subscribed().master_info().address().ip(), "127.0.0.1");
  EXPECT_TRUE(last_.close_streams.empty());
}

TEST_F(MasterCoreTest, HeartbeatsFollowEveryInterval) {
  const std::string stream = Subscribe(Framework());
  now_ += 14'999;
  EXPECT_TRUE(EventsOn(Tick(), stream).empty());
  now_ += 1;
  EXPECT_EQ(Types(EventsOn(Tick(), stream)), (std::vector<Event::Type>{Event::HEARTBEAT}));
  now_ += 15'000;
  EXPECT_EQ(Types(EventsOn(Tick(), stream)), (std::vector<Event::Type>{Event::HEARTBEAT}));
}

TEST_F(MasterCoreTest, OfferCarriesAgentResourcesWithoutAllocationInfoForSingleRole) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  EXPECT_EQ(offer.id().value(), "M-O0");
  EXPECT_EQ(offer.framework_id().value(), "M-0000");
  EXPECT_EQ(offer.agent_id().value(), "M-S0");
  EXPECT_EQ(offer.hostname(), "agent1");
  EXPECT_EQ(offer.url().address().ip(), "127.0.0.2");
  EXPECT_EQ(offer.url().path(), "/slave(1)");
  ASSERT_EQ(offer.attributes_size(), 1);
  EXPECT_FALSE(offer.has_allocation_info());
  ASSERT_EQ(offer.resources_size(), 3);
  for (const auto& r : offer.resources()) {
    EXPECT_FALSE(r.has_allocation_info());
    EXPECT_TRUE(r.has_role());
    EXPECT_EQ(r.role(), "*");
  }
}

TEST_F(MasterCoreTest, MultiRoleOfferCarriesAllocationInfoOnOfferAndResources) {
  AddAgent();
  Subscribe(MultiRoleFramework({"web"}));
  const auto offer = OneOffer();
  EXPECT_EQ(offer.allocation_info().role(), "web");
  for (const auto& r : offer.resources()) EXPECT_EQ(r.allocation_info().role(), "web");
}

TEST_F(MasterCoreTest, OutstandingOfferIsNotOfferedAgain) {
  AddAgent();
  Subscribe(Framework());
  OneOffer();
  now_ += 1000;
  EXPECT_TRUE(OffersIn(Tick()).empty());
}

TEST_F(MasterCoreTest, DeclineWithoutFiltersHidesTheAgentForFiveSeconds) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  Call decline = NewCall(Call::DECLINE);
  *decline.mutable_decline()->add_offer_ids() = offer.id();
  Handle(decline);
  now_ += 4'000;
  EXPECT_TRUE(OffersIn(Tick()).empty());
  now_ += 1'000;
  EXPECT_EQ(OffersIn(Tick()).size(), 1u);
}

TEST_F(MasterCoreTest, DeclineWithZeroRefuseSecondsReoffersNextCycle) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  Call decline = NewCall(Call::DECLINE);
  *decline.mutable_decline()->add_offer_ids() = offer.id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(0);
  Handle(decline);
  now_ += 1000;
  EXPECT_EQ(OffersIn(Tick()).size(), 1u);
}

TEST(RefusalDuration, FollowsTheAllocatorRules) {
  EXPECT_EQ(RefusalDuration(std::nullopt, 1000), 5000);
  EXPECT_EQ(RefusalDuration(-3.0, 1000), 5000);
  EXPECT_EQ(RefusalDuration(std::nan(""), 1000), 5000);
  EXPECT_EQ(RefusalDuration(0.0, 1000), std::nullopt);
  EXPECT_EQ(RefusalDuration(0.2, 1000), 1000);
  EXPECT_EQ(RefusalDuration(1e12, 1000), UnixMillis{365LL * 24 * 3600 * 1000});
}

TEST_F(MasterCoreTest, SuppressStopsOffersAndReviveResumesThemClearingFilters) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  Call decline = NewCall(Call::DECLINE);
  *decline.mutable_decline()->add_offer_ids() = offer.id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
  Handle(decline);
  Handle(NewCall(Call::SUPPRESS));
  now_ += 10'000;
  EXPECT_TRUE(OffersIn(Tick()).empty());
  Handle(NewCall(Call::REVIVE));
  EXPECT_EQ(OffersIn(Tick()).size(), 1u);  // at once, filter gone
}

TEST_F(MasterCoreTest, SuppressNamingAnUnknownRoleIsDroppedWhole) {
  AddAgent();
  Subscribe(MultiRoleFramework({"web"}));
  Call suppress = NewCall(Call::SUPPRESS);
  suppress.mutable_suppress()->add_roles("web");
  suppress.mutable_suppress()->add_roles("db");
  Handle(suppress);
  EXPECT_EQ(OffersIn(Tick()).size(), 1u);
}

TEST_F(MasterCoreTest, SubscribeWithSuppressedRolesGetsNoOffersUntilRevive) {
  AddAgent();
  Subscribe(MultiRoleFramework({"web"}), {"web"});
  EXPECT_TRUE(OffersIn(Tick()).empty());
  Handle(NewCall(Call::REVIVE));
  EXPECT_EQ(OffersIn(Tick()).size(), 1u);
}

TEST_F(MasterCoreTest, AcceptedTaskIsStagingWithoutAnEventAndGoesToTheAgent) {
  const std::string agent = AddAgent();
  const std::string stream = Subscribe(Framework());
  const auto offer = OneOffer();
  auto out = Handle(Launch({offer.id().value()}, {CommandTask("t1", offer)}));
  EXPECT_TRUE(out.events.empty());
  auto launches = Requests<LaunchTasks>(out);
  ASSERT_EQ(launches.size(), 1u);
  EXPECT_EQ(launches[0].agent_id, agent);
  ASSERT_EQ(launches[0].tasks.size(), 1u);
  // The master injected the offer's allocation role.
  EXPECT_EQ(launches[0].tasks[0].resources(0).allocation_info().role(), "*");
  Call reconcile = NewCall(Call::RECONCILE);
  reconcile.mutable_reconcile();
  auto updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_STAGING);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(updates[0].source(), TaskStatus::SOURCE_MASTER);
  EXPECT_EQ(updates[0].message(), "Reconciliation: the latest state sent");
  EXPECT_FALSE(updates[0].has_uuid());
}

// Issue #18: reconciliation repeats whether the task is healthy and its
// check status from the newest update, the container status of the newest
// update that had one, and never labels (Mesos sends none).
TEST_F(MasterCoreTest, ReconciliationRepeatsHealthAndContainerStatusButNoLabels) {
  const std::string agent = LaunchOneTask(Framework());
  TaskStatus running = AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a');
  running.set_healthy(true);
  auto* label = running.mutable_labels()->add_labels();
  label->set_key("phase");
  label->set_value("warm");
  running.mutable_container_status()->set_executor_pid(4242);
  core_.StatusUpdate(agent, framework_id_, running, now_);
  Handle(Ack(agent, running));
  Call reconcile = NewCall(Call::RECONCILE);
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("t1");
  auto updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
  ASSERT_TRUE(updates[0].has_healthy());
  EXPECT_TRUE(updates[0].healthy());
  EXPECT_FALSE(updates[0].has_labels());
  EXPECT_EQ(updates[0].container_status().executor_pid(), 4242u);

  TaskStatus unhealthy = AgentStatus("t1", mesos::v1::TASK_RUNNING, 'b');
  unhealthy.set_healthy(false);
  core_.StatusUpdate(agent, framework_id_, unhealthy, now_);
  Handle(Ack(agent, unhealthy));
  updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 1u);
  ASSERT_TRUE(updates[0].has_healthy());
  EXPECT_FALSE(updates[0].healthy());
  // The newest update had no container status: the one before it holds.
  EXPECT_EQ(updates[0].container_status().executor_pid(), 4242u);
}

// Issue #18: reconciliation answers with the state last sent to the
// framework, as Mesos answers with status_update_state: a FINISHED queued
// behind an unacknowledged RUNNING is not yet the framework's to know.
TEST_F(MasterCoreTest, ReconciliationAnswersTheStateForwardedNotTheNewestReceived) {
  const std::string agent = LaunchOneTask(Framework());
  TaskStatus running = AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a');
  core_.StatusUpdate(agent, framework_id_, running, now_);
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_FINISHED, 'b'), now_);
  Call reconcile = NewCall(Call::RECONCILE);
  reconcile.mutable_reconcile();
  auto updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
  Handle(Ack(agent, running));  // FINISHED is forwarded now
  updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FINISHED);
}

TEST_F(MasterCoreTest, AcceptWithStaleOfferGivesTaskLostWithoutUuid) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  auto out = Handle(Launch({"M-O99"}, {CommandTask("t1", offer)}));
  auto updates = UpdatesIn(out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_INVALID_OFFERS);
  EXPECT_EQ(updates[0].source(), TaskStatus::SOURCE_MASTER);
  EXPECT_EQ(updates[0].message(),
            "the offers accepted are invalid: offer M-O99 is not outstanding (used, declined, "
            "rescinded or never made)");
  EXPECT_FALSE(updates[0].has_uuid());
  EXPECT_TRUE(Requests<LaunchTasks>(out).empty());
}

TEST_F(MasterCoreTest, AcceptWithStaleOfferGivesTaskDroppedWhenPartitionAware) {
  AddAgent();
  auto info = Framework();
  info.add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::PARTITION_AWARE);
  Subscribe(info);
  const auto offer = OneOffer();
  auto updates = UpdatesIn(
      Handle(Launch({offer.id().value(), offer.id().value()}, {CommandTask("t1", offer)})));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_DROPPED);
  EXPECT_EQ(updates[0].message(), "the offers accepted are invalid: offer M-O0 is named twice");
  // The valid offer was discarded: its resources come back next cycle.
  now_ += 1000;
  EXPECT_EQ(OffersIn(Tick()).size(), 1u);
}

TEST_F(MasterCoreTest, OffersFromTwoAgentsCannotBeAggregated) {
  AddAgent("agent1");
  AddAgent("agent2");
  Subscribe(Framework());
  auto offers = OffersIn(Tick());
  ASSERT_EQ(offers.size(), 2u);
  auto updates = UpdatesIn(Handle(
      Launch({offers[0].id().value(), offers[1].id().value()}, {CommandTask("t1", offers[0])})));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[0].message(),
            "the offers accepted are invalid: offers accepted together must share an agent: "
            "M-O1 is from M-S1, M-O0 from M-S0");
}

TEST_F(MasterCoreTest, TaskNeedingMoreThanOfferedGetsTaskError) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  auto updates = UpdatesIn(Handle(Launch({offer.id().value()}, {CommandTask("t1", offer, 8)})));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_ERROR);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_TASK_INVALID);
  EXPECT_EQ(updates[0].source(), TaskStatus::SOURCE_MASTER);
  EXPECT_FALSE(updates[0].has_uuid());
  EXPECT_EQ(updates[0].message(),
            "the offers hold cpus(allocated: *):4; mem(allocated: *):4096; "
            "ports(allocated: *):[31000-31009], less than the cpus(allocated: *):8; "
            "mem(allocated: *):128 needed (tasks and any new executor)");
}

TEST_F(MasterCoreTest, ResourcesAllocatedToAnotherRoleAreNotContained) {
  AddAgent();
  Subscribe(MultiRoleFramework({"web", "db"}));
  const auto offer = OneOffer();
  auto task = CommandTask("t1", offer);
  const std::string other = offer.allocation_info().role() == "web" ? "db" : "web";
  for (auto& r : *task.mutable_resources()) r.mutable_allocation_info()->set_role(other);
  auto updates = UpdatesIn(Handle(Launch({offer.id().value()}, {task})));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_ERROR);
}

TEST_F(MasterCoreTest, TaskValidationFailuresGiveTaskErrorWithTheReason) {
  AddAgent();
  Subscribe(Framework());
  struct Case {
    std::string name;
    std::function<void(mesos::v1::TaskInfo*)> spoil;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"slash in id", [](auto* t) { t->mutable_task_id()->set_value("a/b"); }, "task id 'a/b'"},
      {"no resources", [](auto* t) { t->clear_resources(); }, "the task asks for no resources"},
      {"command and executor",
       [](auto* t) {
         t->mutable_executor()->mutable_executor_id()->set_value("e");
         t->mutable_executor()->mutable_command()->set_value("x");
       },
       "give exactly one"},
      {"other agent", [](auto* t) { t->mutable_agent_id()->set_value("M-S7"); }, "agent M-S7"},
      {"negative grace",
       [](auto* t) { t->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(-1); },
       "kill_policy.grace_period"},
      {"env without value",
       [](auto* t) { t->mutable_command()->mutable_environment()->add_variables()->set_name("A"); },
       "variable 'A'"},
  };
  for (const Case& c : cases) {
    const auto offer = OneOffer();
    auto task = CommandTask("t-" + std::to_string(&c - cases.data()), offer);
    c.spoil(&task);
    auto updates = UpdatesIn(Handle(Launch({offer.id().value()}, {task}, 0.0)));
    ASSERT_EQ(updates.size(), 1u) << c.name;
    EXPECT_EQ(updates[0].state(), mesos::v1::TASK_ERROR) << c.name;
    EXPECT_NE(updates[0].message().find(c.message), std::string::npos) << updates[0].message();
    now_ += 1000;
  }
}

// TaskInfo.limits: cpus and mem only, never below the request, and
// only on an agent with TASK_RESOURCE_LIMITS; TASK_ERROR otherwise.
TEST_F(MasterCoreTest, TaskLimitsAreValidatedAsMesosDoes) {
  mesos::v1::AgentInfo info;
  info.set_hostname("capable");
  *info.add_resources() = Scalar("cpus", 4);
  *info.add_resources() = Scalar("mem", 4096);
  AgentCapabilities capable;
  capable.task_resource_limits = true;
  core_.AddAgent(info, "127.0.0.2", capable);
  Subscribe(Framework());
  auto limit = [](mesos::v1::TaskInfo* task, const std::string& name, double value) {
    (*task->mutable_limits())[name].set_value(value);
  };
  struct Case {
    std::string name;
    std::function<void(mesos::v1::TaskInfo*)> set;
    std::string message;  // empty: launched
  };
  const std::vector<Case> cases = {
      {"disk", [&](auto* t) { limit(t, "disk", 10); },
       "the task limits 'disk'; only 'cpus' and 'mem' can be limited"},
      {"cpus below", [&](auto* t) { limit(t, "cpus", 0.5); },
       "the task's cpus limit 0.5 is below its request 1"},
      {"mem below", [&](auto* t) { limit(t, "mem", 64); },
       "the task's mem limit 64 is below its request 128"},
      {"negative", [&](auto* t) { limit(t, "cpus", -1); },
       "the task's cpus limit -1 is below its request 1"},
      {"nan", [&](auto* t) { limit(t, "mem", std::nan("")); },
       "the task's mem limit nan is below its request 128"},
      {"equal", [&](auto* t) { limit(t, "cpus", 1); }, ""},
      {"above and infinite",
       [&](auto* t) {
         limit(t, "cpus", 2);
         limit(t, "mem", INFINITY);
       },
       ""},
  };
  for (const Case& c : cases) {
    const auto offer = OneOffer();
    auto task = CommandTask("t-" + std::to_string(&c - cases.data()), offer);
    c.set(&task);
    auto out = Handle(Launch({offer.id().value()}, {task}, 0.0));
    if (c.message.empty()) {
      EXPECT_TRUE(UpdatesIn(out).empty()) << c.name;
      EXPECT_EQ(Requests<LaunchTasks>(out).size(), 1u) << c.name;  // 3 cpus left
    } else {
      auto updates = UpdatesIn(out);
      ASSERT_EQ(updates.size(), 1u) << c.name;
      EXPECT_EQ(updates[0].state(), mesos::v1::TASK_ERROR) << c.name;
      EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_TASK_INVALID) << c.name;
      EXPECT_EQ(updates[0].message(), c.message) << c.name;
    }
    now_ += 1000;
  }
}

TEST_F(MasterCoreTest, TaskLimitsNeedAnAgentWithTheCapability) {
  const std::string agent = AddAgent();  // as the embedded agents: no capabilities
  Subscribe(Framework());
  const auto offer = OneOffer();
  auto task = CommandTask("t1", offer);
  (*task.mutable_limits())["cpus"].set_value(2);
  auto out = Handle(Launch({offer.id().value()}, {task}));
  EXPECT_TRUE(Requests<LaunchTasks>(out).empty());
  auto updates = UpdatesIn(out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_ERROR);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_TASK_INVALID);
  EXPECT_EQ(updates[0].message(),
            "the task sets resource limits but agent " + agent +
                " does not have the TASK_RESOURCE_LIMITS capability (the embedded agents "
                "enforce no limits: leave TaskInfo.limits out)");
}

TEST_F(MasterCoreTest, SecondTaskWithTheSameIdInOneAcceptIsAnError) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  auto out =
      Handle(Launch({offer.id().value()}, {CommandTask("t1", offer), CommandTask("t1", offer)}));
  EXPECT_EQ(Requests<LaunchTasks>(out).size(), 1u);
  auto updates = UpdatesIn(out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_NE(updates[0].message().find("task id 't1' is taken"), std::string::npos);
}

TEST_F(MasterCoreTest, LeftoverOfAnAcceptIsFilteredWithTheAcceptFilters) {
  AddAgent();
  Subscribe(Framework());
  const auto offer = OneOffer();
  Handle(Launch({offer.id().value()}, {CommandTask("t1", offer)}));
  now_ += 4'000;
  EXPECT_TRUE(OffersIn(Tick()).empty());
  now_ += 1'000;
  auto offers = OffersIn(Tick());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(*Resources(offers[0].resources()).Scalar("cpus"), 3.0);
}

TEST_F(MasterCoreTest, TerminalTaskFreesItsResourcesBeforeTheAck) {
  const std::string agent = LaunchOneTask(Framework());
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_FINISHED, 'a'), now_);
  now_ += 5'000;  // past the leftover's filter
  auto offers = OffersIn(Tick());
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(*Resources(offers[0].resources()).Scalar("cpus"), 4.0);
}

TEST_F(MasterCoreTest, UpdatesOfATaskAreForwardedOneAtATimeAfterEachAck) {
  std::string stream;
  const std::string agent = LaunchOneTask(Framework(), &stream);
  const auto running = AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a');
  const auto finished = AgentStatus("t1", mesos::v1::TASK_FINISHED, 'b');
  auto out = core_.StatusUpdate(agent, framework_id_, running, now_);
  auto updates = UpdatesIn(out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].uuid(), running.uuid());
  EXPECT_EQ(updates[0].agent_id().value(), agent);
  EXPECT_TRUE(UpdatesIn(core_.StatusUpdate(agent, framework_id_, finished, now_)).empty());

  // An ack of anything but the head is ignored.
  EXPECT_TRUE(Handle(Ack(agent, finished)).events.empty());

  out = Handle(Ack(agent, running));
  updates = UpdatesIn(out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FINISHED);
  ASSERT_EQ(Requests<AcknowledgeUpdate>(out).size(), 1u);
  EXPECT_EQ(Requests<AcknowledgeUpdate>(out)[0].uuid, running.uuid());

  // Until the terminal update is acknowledged, the task is still known.
  Call reconcile = NewCall(Call::RECONCILE);
  reconcile.mutable_reconcile();
  ASSERT_EQ(UpdatesIn(Handle(reconcile)).size(), 1u);
  Handle(Ack(agent, finished));
  EXPECT_TRUE(UpdatesIn(Handle(reconcile)).empty());
}

TEST_F(MasterCoreTest, AgentMarkedGoneLosesItsTasksAndIsForgotten) {
  std::string stream;
  const std::string agent = LaunchOneTask(Framework(), &stream);
  const std::string other = AddAgent("agent2");
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a'), now_);
  now_ += 1000;
  const auto offers = OffersIn(Tick());  // agent2's offer is outstanding
  ASSERT_EQ(offers.size(), 1u);
  ASSERT_EQ(offers[0].agent_id().value(), other);

  EXPECT_EQ(core_.MarkAgentGone("M-S99", now_), std::nullopt);
  std::optional<MasterOutput> out = core_.MarkAgentGone(agent, now_);
  ASSERT_TRUE(out);
  // Not PARTITION_AWARE: TASK_LOST, from the master, nothing to acknowledge.
  auto updates = UpdatesIn(*out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].task_id().value(), "t1");
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR);
  EXPECT_EQ(updates[0].source(), TaskStatus::SOURCE_MASTER);
  EXPECT_FALSE(updates[0].has_uuid());
  int failures = 0;
  for (const auto& e : EventsOn(*out, stream)) {
    if (e.type() == Event::FAILURE) {
      ++failures;
      EXPECT_EQ(e.failure().agent_id().value(), agent);
      EXPECT_FALSE(e.failure().has_executor_id());
    }
    EXPECT_NE(e.type(), Event::RESCIND);  // the offer of agent2 stays valid
  }
  EXPECT_EQ(failures, 1);
  auto shutdowns = Requests<ShutdownFramework>(*out);
  ASSERT_EQ(shutdowns.size(), 1u);
  EXPECT_EQ(shutdowns[0].agent_id, agent);

  // What the dying agent still reports is ignored.
  EXPECT_TRUE(
      core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_KILLED, 'b'), now_)
          .events.empty());
  mesos::v1::ExecutorID executor;
  executor.set_value("e1");
  EXPECT_TRUE(core_.ExecutorTerminated(agent, framework_id_, executor, 9, now_).events.empty());
  // The agent is gone from the state and reconciliation says so.
  const MasterView view = core_.View();
  ASSERT_EQ(view.agents.size(), 1u);
  EXPECT_EQ(view.agents[0].info.id().value(), other);
  ASSERT_EQ(view.frameworks.size(), 1u);
  ASSERT_EQ(view.frameworks[0].tasks.size(), 1u);  // completed, TASK_LOST
  EXPECT_EQ(view.frameworks[0].tasks[0].state, mesos::v1::TASK_LOST);
  Call reconcile = NewCall(Call::RECONCILE);
  auto* wanted = reconcile.mutable_reconcile()->add_tasks();
  wanted->mutable_task_id()->set_value("t1");
  wanted->mutable_agent_id()->set_value(agent);
  updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[0].message(), "Reconciliation: the agent was marked gone");
}

TEST_F(MasterCoreTest, AgentMarkedGoneRescindsItsOffersAndGivesGoneByOperatorWhenPartitionAware) {
  const std::string agent = AddAgent();
  auto info = Framework();
  info.add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::PARTITION_AWARE);
  const std::string stream = Subscribe(info);
  const auto offer = OneOffer();
  Handle(Launch({offer.id().value()}, {CommandTask("t1", offer, 1, 128)}));
  now_ += 10'000;
  const auto second = OneOffer();  // the rest of the agent, offered again
  std::optional<MasterOutput> out = core_.MarkAgentGone(agent, now_);
  ASSERT_TRUE(out);
  auto updates = UpdatesIn(*out);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_GONE_BY_OPERATOR);
  bool rescinded = false;
  for (const auto& e : EventsOn(*out, stream)) {
    if (e.type() == Event::RESCIND)
      rescinded = e.rescind().offer_id().value() == second.id().value();
  }
  EXPECT_TRUE(rescinded);
  // Accepting the rescinded offer fails as for any stale offer.
  updates = UpdatesIn(Handle(Launch({second.id().value()}, {CommandTask("t2", second)})));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_DROPPED);
  now_ += 10'000;
  EXPECT_TRUE(OffersIn(Tick()).empty());
}

TEST_F(MasterCoreTest, UnacknowledgedUpdateIsResentAfterTenSecondsThenDoubling) {
  const std::string agent = LaunchOneTask(Framework());
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a'), now_);
  const UnixMillis sent = now_;
  now_ = sent + 9'999;
  EXPECT_TRUE(UpdatesIn(Tick()).empty());
  now_ = sent + 10'000;
  EXPECT_EQ(UpdatesIn(Tick()).size(), 1u);
  now_ = sent + 29'999;
  EXPECT_TRUE(UpdatesIn(Tick()).empty());
  now_ = sent + 30'000;
  EXPECT_EQ(UpdatesIn(Tick()).size(), 1u);
}

TEST_F(MasterCoreTest, ResubscriptionResendsThePendingUpdateAtOnce) {
  std::string stream;
  auto info = Framework(60);
  const std::string agent = LaunchOneTask(info, &stream);
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a'), now_);
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_FINISHED, 'b'), now_);
  core_.StreamClosed(stream, now_);
  info.mutable_id()->set_value(framework_id_);
  now_ += 1'000;
  const std::string again = Subscribe(info);
  EXPECT_NE(again, stream);
  auto events = EventsOn(last_, again);
  ASSERT_EQ(Types(events),
            (std::vector<Event::Type>{Event::SUBSCRIBED, Event::HEARTBEAT, Event::UPDATE}));
  EXPECT_EQ(events[2].update().status().state(), mesos::v1::TASK_RUNNING);
}

TEST_F(MasterCoreTest, ResubscribingWhileConnectedFailsOverTheOldStream) {
  auto info = Framework(60);
  const std::string old_stream = Subscribe(info);
  info.mutable_id()->set_value(framework_id_);
  const std::string new_stream = Subscribe(info);
  auto old_events = EventsOn(last_, old_stream);
  ASSERT_EQ(old_events.size(), 1u);
  EXPECT_EQ(old_events[0].type(), Event::ERROR);
  EXPECT_NE(old_events[0].error().message().find("another scheduler subscribed"),
            std::string::npos);
  EXPECT_EQ(last_.close_streams, std::vector<std::string>{old_stream});
  // The old stream id is now refused; the new one is accepted.
  Call call = NewCall(Call::REVIVE);
  ASSERT_TRUE(core_.CheckCaller(call, std::nullopt, old_stream).has_value());
  EXPECT_EQ(core_.CheckCaller(call, std::nullopt, old_stream)->status, 400);
  EXPECT_FALSE(core_.CheckCaller(call, std::nullopt, new_stream).has_value());
  // Closing the old stream does not disconnect the framework.
  core_.StreamClosed(old_stream, now_);
  EXPECT_FALSE(core_.CheckCaller(call, std::nullopt, new_stream).has_value());
}

TEST_F(MasterCoreTest, ResubscriptionKeepsUserAndRefusesAChangedPrincipal) {
  auto info = Framework(60);
  info.set_principal("p1");
  Subscribe(info);
  info.mutable_id()->set_value(framework_id_);
  info.set_principal("p2");
  const std::string stream = Subscribe(info);
  auto events = EventsOn(last_, stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error().message(), "a re-subscribing framework may not change its principal");
  EXPECT_EQ(last_.close_streams, std::vector<std::string>{stream});
}

TEST_F(MasterCoreTest, DisconnectWithoutFailoverTimeoutRemovesTheFramework) {
  AddAgent();
  auto info = Framework(0);
  const std::string stream = Subscribe(info);
  auto out = core_.StreamClosed(stream, now_);
  EXPECT_EQ(Requests<ShutdownFramework>(out).size(), 1u);
  Call call = NewCall(Call::REVIVE);
  auto rejection = core_.CheckCaller(call, std::nullopt, stream);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->status, 400);
  EXPECT_EQ(rejection->body, "this master knows no framework M-0000; SUBSCRIBE first");
  info.mutable_id()->set_value(framework_id_);
  const std::string again = Subscribe(info);
  auto events = EventsOn(last_, again);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error().message(), "Framework has been removed");
}

TEST_F(MasterCoreTest, DisconnectedFrameworkIsForbiddenUntilTheFailoverTimeout) {
  const std::string agent = LaunchOneTask(Framework(30));
  // LaunchOneTask subscribed on the first stream id.
  const std::string stream = "00000000-0000-0000-0000-000000000001";
  core_.StreamClosed(stream, now_);
  Call call = NewCall(Call::REVIVE);
  auto rejection = core_.CheckCaller(call, std::nullopt, stream);
  ASSERT_TRUE(rejection.has_value());
  EXPECT_EQ(rejection->status, 403);
  EXPECT_EQ(rejection->body, "framework M-0000 has no open subscription; SUBSCRIBE first");
  now_ += 29'999;
  EXPECT_TRUE(Requests<ShutdownFramework>(Tick()).empty());
  now_ += 1;
  auto out = Tick();
  ASSERT_EQ(Requests<ShutdownFramework>(out).size(), 1u);
  EXPECT_EQ(Requests<ShutdownFramework>(out)[0].agent_id, agent);
  EXPECT_EQ(core_.CheckCaller(call, std::nullopt, stream)->status, 400);
  ASSERT_EQ(core_.View().completed_frameworks.size(), 1u);
  EXPECT_EQ(core_.View().completed_frameworks[0].tasks[0].state, mesos::v1::TASK_KILLED);
}

// NextTick() says when Tick() next has work, so the ticker can sleep until
// then: nothing at all without frameworks, the heartbeat once a framework
// is suppressed, the allocation interval while it takes offers.
TEST_F(MasterCoreTest, NextTickIsTheEarliestThingDue) {
  EXPECT_FALSE(core_.NextTick().has_value());
  AddAgent();
  EXPECT_LE(*core_.NextTick(), now_);  // a new agent: allocate at once
  Tick();
  EXPECT_FALSE(core_.NextTick().has_value());  // nobody to offer to

  Subscribe(Framework());
  EXPECT_LE(*core_.NextTick(), now_);  // allocation wanted after SUBSCRIBE
  OneOffer();
  EXPECT_EQ(*core_.NextTick(), now_ + 1'000);  // the next allocation round
  Handle(NewCall(Call::SUPPRESS));
  Tick();
  EXPECT_EQ(*core_.NextTick(), kStart + 15'000);  // only the heartbeat
  now_ = kStart + 15'000;
  EXPECT_EQ(Types(EventsOn(Tick(), "00000000-0000-0000-0000-000000000001")),
            (std::vector<Event::Type>{Event::HEARTBEAT}));
  EXPECT_EQ(*core_.NextTick(), kStart + 30'000);
  Handle(NewCall(Call::REVIVE));
  EXPECT_LE(*core_.NextTick(), now_);
}

TEST_F(MasterCoreTest, NextTickCoversUpdateRetriesAndFailoverTimeouts) {
  const std::string stream_holder = "00000000-0000-0000-0000-000000000001";
  const std::string agent = LaunchOneTask(Framework(30));
  Handle(NewCall(Call::SUPPRESS));
  Tick();
  core_.StatusUpdate(agent, framework_id_, AgentStatus("t1", mesos::v1::TASK_RUNNING, 'a'), now_);
  EXPECT_EQ(*core_.NextTick(), now_ + 10'000);  // the update's retry
  core_.StreamClosed(stream_holder, now_);
  EXPECT_EQ(*core_.NextTick(), now_ + 30'000);  // the failover timeout
}

TEST_F(MasterCoreTest, TeardownClosesTheStreamAndShutsTheFrameworkDown) {
  AddAgent();
  const std::string stream = Subscribe(Framework(3600));
  auto out = Handle(NewCall(Call::TEARDOWN));
  EXPECT_EQ(out.close_streams, std::vector<std::string>{stream});
  EXPECT_EQ(Requests<ShutdownFramework>(out).size(), 1u);
  EXPECT_TRUE(out.events.empty());  // no TASK_KILLED is sent
  EXPECT_EQ(core_.CheckCaller(NewCall(Call::REVIVE), std::nullopt, stream)->body,
            "this master knows no framework M-0000; SUBSCRIBE first");
}

TEST_F(MasterCoreTest, CallerChecksNeedTheCurrentStreamId) {
  const std::string stream = Subscribe(Framework());
  Call call = NewCall(Call::REVIVE);
  auto missing = core_.CheckCaller(call, std::nullopt, std::nullopt);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 400);
  EXPECT_NE(missing->body.find("Mesos-Stream-Id header"), std::string::npos) << missing->body;
  auto wrong = core_.CheckCaller(call, std::nullopt, "nope");
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(wrong->body,
            "Mesos-Stream-Id 'nope' is not the stream of framework M-0000 (it subscribed again "
            "since?)");
  EXPECT_FALSE(core_.CheckCaller(call, std::nullopt, stream).has_value());
}

TEST_F(MasterCoreTest, ExplicitReconciliationOfUnknownTasks) {
  const std::string agent = AddAgent();
  Subscribe(Framework());
  Call reconcile = NewCall(Call::RECONCILE);
  auto* with_agent = reconcile.mutable_reconcile()->add_tasks();
  with_agent->mutable_task_id()->set_value("x");
  with_agent->mutable_agent_id()->set_value(agent);
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("y");
  auto updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[1].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_RECONCILIATION);
  EXPECT_FALSE(updates[0].has_uuid());
}

TEST_F(MasterCoreTest, ExplicitReconciliationIsPartitionAwareWhenAsked) {
  const std::string agent = AddAgent();
  auto info = Framework();
  info.add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::PARTITION_AWARE);
  Subscribe(info);
  Call reconcile = NewCall(Call::RECONCILE);
  auto* with_agent = reconcile.mutable_reconcile()->add_tasks();
  with_agent->mutable_task_id()->set_value("x");
  with_agent->mutable_agent_id()->set_value(agent);
  reconcile.mutable_reconcile()->add_tasks()->mutable_task_id()->set_value("y");
  auto updates = UpdatesIn(Handle(reconcile));
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_GONE);
  EXPECT_EQ(updates[0].message(), "Reconciliation: Task is unknown to the agent");
  EXPECT_EQ(updates[1].state(), mesos::v1::TASK_UNKNOWN);
  EXPECT_EQ(updates[1].message(), "Reconciliation: Task is unknown");
}

TEST_F(MasterCoreTest, KillOfAKnownTaskGoesToItsAgentAndOfAnUnknownOneReconciles) {
  const std::string agent = LaunchOneTask(Framework());
  Call kill = NewCall(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  auto out = Handle(kill);
  ASSERT_EQ(Requests<KillTask>(out).size(), 1u);
  EXPECT_EQ(Requests<KillTask>(out)[0].agent_id, agent);
  EXPECT_TRUE(out.events.empty());

  kill.mutable_kill()->mutable_agent_id()->set_value("M-S9");
  EXPECT_TRUE(Requests<KillTask>(Handle(kill)).empty());  // other agent: ignored

  kill.mutable_kill()->mutable_task_id()->set_value("nope");
  kill.mutable_kill()->clear_agent_id();
  auto updates = UpdatesIn(Handle(kill));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_RECONCILIATION);
}

TEST_F(MasterCoreTest, MultiRoleFrameworkSettingRoleGetsAnErrorAndAClose) {
  auto info = MultiRoleFramework({"web"});
  info.set_role("web");
  const std::string stream = Subscribe(info);
  auto events = EventsOn(last_, stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), Event::ERROR);
  EXPECT_EQ(events[0].error().message(),
            "a MULTI_ROLE framework lists its roles in 'roles'; 'role' must be left out");
  EXPECT_EQ(last_.close_streams, std::vector<std::string>{stream});
}

// Issue #17, attack 1: a framework id that would climb out of the agents'
// work dirs is refused at SUBSCRIBE, as Mesos refuses any such id.
TEST_F(MasterCoreTest, AFrameworkIdThatIsNoValidIdIsRefused) {
  for (const std::string& id :
       std::vector<std::string>{"../../../../x", "..", "a/b", std::string("a\0b", 3)}) {
    auto info = Framework(60);
    info.mutable_id()->set_value(id);
    const std::string stream = Subscribe(info);
    auto events = EventsOn(last_, stream);
    ASSERT_EQ(events.size(), 1u) << id;
    EXPECT_EQ(events[0].type(), Event::ERROR) << id;
    EXPECT_EQ(events[0].error().message().rfind("the framework id ", 0), 0u)
        << events[0].error().message();
    EXPECT_EQ(last_.close_streams, std::vector<std::string>{stream});
  }
}

// Issue #18: an empty id is no id: the framework is new and gets one.
TEST_F(MasterCoreTest, SubscribeWithAnEmptyIdIsANewFramework) {
  auto info = Framework(60);
  info.mutable_id()->set_value("");
  const std::string stream = Subscribe(info);
  auto events = EventsOn(last_, stream);
  ASSERT_EQ(Types(events), (std::vector<Event::Type>{Event::SUBSCRIBED, Event::HEARTBEAT}));
  EXPECT_EQ(events[0].subscribed().framework_id().value(), "M-0000");
  ASSERT_EQ(core_.View().frameworks.size(), 1u);
  EXPECT_EQ(core_.View().frameworks[0].info.id().value(), "M-0000");
}

// Issue #18: a failover_timeout that is no 64-bit duration in nanoseconds
// is refused, as Mesos refuses it (it was taken as 0, and the framework
// removed at its first disconnect); also by UPDATE_FRAMEWORK.
TEST_F(MasterCoreTest, AFailoverTimeoutThatIsNoDurationIsRefused) {
  for (double seconds : std::vector<double>{std::nan(""), INFINITY, -INFINITY, 1e10, -1e10}) {
    const std::string stream = Subscribe(Framework(seconds));
    auto events = EventsOn(last_, stream);
    ASSERT_EQ(events.size(), 1u) << seconds;
    EXPECT_EQ(events[0].type(), Event::ERROR) << seconds;
    EXPECT_NE(events[0].error().message().find("failover_timeout"), std::string::npos)
        << events[0].error().message();
    EXPECT_EQ(last_.close_streams, std::vector<std::string>{stream});
  }
  EXPECT_TRUE(core_.View().frameworks.empty());
  const std::string stream = Subscribe(Framework(9e9));  // 285 years: a duration
  EXPECT_EQ(Types(EventsOn(last_, stream)),
            (std::vector<Event::Type>{Event::SUBSCRIBED, Event::HEARTBEAT}));
  Call update = NewCall(Call::UPDATE_FRAMEWORK);
  auto info = core_.View().frameworks[0].info;
  info.set_failover_timeout(std::nan(""));
  *update.mutable_update_framework()->mutable_framework_info() = info;
  const auto refused = core_.UpdateFramework(update);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("failover_timeout"), std::string::npos) << refused.body;
}

// Issue #17, item 5: 2,100 subscriptions left 2,374 frameworks in memory.
TEST_F(MasterCoreTest, OnlyTheLatestFiftyEndedFrameworksAreKept) {
  std::vector<std::string> ids;
  for (int n = 0; n < 60; ++n) {
    Subscribe(Framework(3600));
    ids.push_back(framework_id_);
    Handle(NewCall(Call::TEARDOWN));
  }
  std::set<std::string> kept;
  for (const FrameworkView& f : core_.View().completed_frameworks) kept.insert(f.info.id().value());
  EXPECT_EQ(kept.size(), 50u);
  EXPECT_EQ(kept.count(ids[9]), 0u);
  EXPECT_EQ(kept.count(ids[10]), 1u);
  EXPECT_EQ(kept.count(ids[59]), 1u);
  // One still kept is still refused.
  auto info = Framework(3600);
  info.mutable_id()->set_value(ids[59]);
  const std::string stream = Subscribe(info);
  auto events = EventsOn(last_, stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error().message(), "Framework has been removed");
}

TEST_F(MasterCoreTest, OnlyTheLatestThousandEndedTasksOfAFrameworkAreKept) {
  const std::string agent = AddAgent();
  Subscribe(Framework());
  for (int n = 0; n < 1005; ++n) {
    now_ += 6'000;  // past the ACCEPT's default 5 s filter on what it left
    const auto offer = OneOffer();
    const std::string id = "t" + std::to_string(n);
    Handle(Launch({offer.id().value()}, {CommandTask(id, offer)}));
    const TaskStatus finished = AgentStatus(id, mesos::v1::TASK_FINISHED, 'f');
    core_.StatusUpdate(agent, framework_id_, finished, now_);
    Handle(Ack(agent, finished));
  }
  const MasterView view = core_.View();
  ASSERT_EQ(view.frameworks.size(), 1u);
  const auto& tasks = view.frameworks[0].tasks;
  ASSERT_EQ(tasks.size(), 1000u);
  EXPECT_EQ(tasks.front().info.task_id().value(), "t5");
  EXPECT_EQ(tasks.back().info.task_id().value(), "t1004");
}

TEST_F(MasterCoreTest, LabelsOverTheLimitAreRefused) {
  auto info = Framework();
  mesos::v1::Label* big = info.mutable_labels()->add_labels();
  big->set_key("k");
  big->set_value(std::string(kMaxLabelsBytes, 'v'));
  const std::string refused = Subscribe(info);
  auto events = EventsOn(last_, refused);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].error().message().find("this master keeps at most 65536"), std::string::npos)
      << events[0].error().message();

  const std::string agent = AddAgent();
  const std::string stream = Subscribe(Framework());
  const auto offer = OneOffer();
  mesos::v1::TaskInfo task = CommandTask("t1", offer);
  *task.mutable_labels() = info.labels();
  auto out = Handle(Launch({offer.id().value()}, {task}));
  EXPECT_TRUE(Requests<LaunchTasks>(out).empty());
  auto updates = EventsOn(out, stream);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].update().status().state(), mesos::v1::TASK_ERROR);
  EXPECT_EQ(updates[0].update().status().reason(), TaskStatus::REASON_TASK_INVALID);
}

TEST_F(MasterCoreTest, SuppressedRoleOutsideTheRolesGetsAnError) {
  const std::string stream = Subscribe(MultiRoleFramework({"web"}), {"db"});
  auto events = EventsOn(last_, stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), Event::ERROR);
}

TEST_F(MasterCoreTest, ExecutorMessagesAndFailuresReachTheScheduler) {
  std::string stream;
  const std::string agent = LaunchOneTask(Framework(), &stream);
  mesos::v1::ExecutorID executor;
  executor.set_value("e1");
  auto events = EventsOn(core_.ExecutorMessage(agent, framework_id_, executor, "hi"), stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].message().data(), "hi");
  events = EventsOn(core_.ExecutorTerminated(agent, framework_id_, executor, 9, now_), stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].failure().status(), 9);
  Call message = NewCall(Call::MESSAGE);
  message.mutable_message()->mutable_agent_id()->set_value(agent);
  *message.mutable_message()->mutable_executor_id() = executor;
  message.mutable_message()->set_data("yo");
  EXPECT_EQ(Requests<FrameworkToExecutor>(Handle(message)).size(), 1u);
}

// ----- a restarted master learning its state back from agents -----------

class MasterRecoveryTest : public MasterCoreTest {
 protected:
  // What agent "OLD-S0" recovered: executor E1 of checkpointing framework
  // OLD-0000 (0.1 cpus, 32 MB) with t1 RUNNING (1 cpu, 128 MB) and t2
  // FINISHED.
  MasterOutput Reregister() {
    mesos::v1::AgentInfo info;
    info.set_hostname("127.0.0.2");
    info.mutable_id()->set_value("OLD-S0");
    *info.add_resources() = Scalar("cpus", 4);
    *info.add_resources() = Scalar("mem", 4096);
    RecoveredExecutor executor;
    executor.framework = Framework(3600);
    executor.framework.set_checkpoint(true);
    executor.framework.mutable_id()->set_value("OLD-0000");
    executor.executor.mutable_executor_id()->set_value("E1");
    *executor.executor.add_resources() = Scalar("cpus", 0.1);
    *executor.executor.add_resources() = Scalar("mem", 32);
    for (const auto& [id, state] : std::vector<std::pair<std::string, TaskState>>{
             {"t1", mesos::v1::TASK_RUNNING}, {"t2", mesos::v1::TASK_FINISHED}}) {
      mesos::v1::TaskInfo task;
      task.set_name(id);
      task.mutable_task_id()->set_value(id);
      task.mutable_agent_id()->set_value("OLD-S0");
      *task.add_resources() = Scalar("cpus", 1);
      *task.add_resources() = Scalar("mem", 128);
      *task.mutable_executor() = executor.executor;
      executor.tasks.push_back({task, state});
    }
    return core_.ReregisterAgent(info, "127.0.0.2", {executor});
  }

  mesos::v1::FrameworkInfo OldFramework() {
    mesos::v1::FrameworkInfo info = Framework(3600);
    info.set_checkpoint(true);
    info.mutable_id()->set_value("OLD-0000");
    return info;
  }
};

TEST_F(MasterRecoveryTest, ReregisteredAgentBringsBackItsFrameworkAndLiveTasks) {
  EXPECT_TRUE(Reregister().agent_requests.empty());
  const MasterView view = core_.View();
  ASSERT_EQ(view.agents.size(), 1u);
  EXPECT_EQ(view.agents[0].info.id().value(), "OLD-S0");
  ASSERT_EQ(view.frameworks.size(), 1u);
  EXPECT_EQ(view.frameworks[0].info.id().value(), "OLD-0000");
  EXPECT_FALSE(view.frameworks[0].connected);
  ASSERT_EQ(view.frameworks[0].tasks.size(), 1u);  // the finished one is not kept
  EXPECT_EQ(view.frameworks[0].tasks[0].info.task_id().value(), "t1");
  EXPECT_EQ(view.frameworks[0].tasks[0].state, mesos::v1::TASK_RUNNING);
  // Not yet re-subscribed: it is kept, with no failover timer running.
  now_ += 24LL * 3600 * 1000;
  Tick();
  EXPECT_EQ(core_.View().frameworks.size(), 1u);
}

TEST_F(MasterRecoveryTest, ResubscribedFrameworkKeepsItsIdAndReconcilesTheRecoveredTask) {
  (void)Reregister();
  const std::string stream = Subscribe(OldFramework());
  EXPECT_EQ(framework_id_, "OLD-0000");
  EXPECT_EQ(Types(EventsOn(last_, stream)),
            (std::vector<Event::Type>{Event::SUBSCRIBED, Event::HEARTBEAT}));

  Call implicit = NewCall(Call::RECONCILE);
  implicit.mutable_reconcile();
  auto updates = UpdatesIn(Handle(implicit));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].task_id().value(), "t1");
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(updates[0].agent_id().value(), "OLD-S0");
  EXPECT_FALSE(updates[0].has_uuid());

  Call explicit_call = NewCall(Call::RECONCILE);
  auto* wanted = explicit_call.mutable_reconcile()->add_tasks();
  wanted->mutable_task_id()->set_value("t1");
  wanted->mutable_agent_id()->set_value("OLD-S0");
  updates = UpdatesIn(Handle(explicit_call));
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_RUNNING);
}

TEST_F(MasterRecoveryTest, ResourcesOfRecoveredTasksAndExecutorsAreNotOfferedAgain) {
  (void)Reregister();
  Subscribe(OldFramework());
  const auto offer = OneOffer();
  double cpus = 0;
  double mem = 0;
  for (const auto& r : offer.resources()) {
    if (r.name() == "cpus") cpus += r.scalar().value();
    if (r.name() == "mem") mem += r.scalar().value();
  }
  EXPECT_NEAR(cpus, 4 - 1 - 0.1, 1e-9);
  EXPECT_NEAR(mem, 4096 - 128 - 32, 1e-9);
}

// The executor an agent made for a command task (its task has only a
// CommandInfo) was never the master's: its cpus:0.1;mem:32 allowance is not
// taken from offers after a recovery either, nor is it offered as known.
TEST_F(MasterRecoveryTest, RecoveredCommandExecutorIsNotTheMastersToAccount) {
  mesos::v1::AgentInfo info;
  info.set_hostname("127.0.0.2");
  info.mutable_id()->set_value("OLD-S0");
  *info.add_resources() = Scalar("cpus", 4);
  *info.add_resources() = Scalar("mem", 4096);
  RecoveredExecutor executor;
  executor.framework = OldFramework();
  executor.executor.mutable_executor_id()->set_value("c1");
  *executor.executor.add_resources() = Scalar("cpus", 0.1);
  *executor.executor.add_resources() = Scalar("mem", 32);
  mesos::v1::TaskInfo task;
  task.set_name("c1");
  task.mutable_task_id()->set_value("c1");
  task.mutable_agent_id()->set_value("OLD-S0");
  *task.add_resources() = Scalar("cpus", 1);
  *task.add_resources() = Scalar("mem", 128);
  task.mutable_command()->set_value("sleep 1000");
  executor.tasks.push_back({task, mesos::v1::TASK_RUNNING});
  EXPECT_TRUE(core_.ReregisterAgent(info, "127.0.0.2", {executor}).agent_requests.empty());
  Subscribe(OldFramework());
  const auto offer = OneOffer();
  double cpus = 0;
  double mem = 0;
  for (const auto& r : offer.resources()) {
    if (r.name() == "cpus") cpus += r.scalar().value();
    if (r.name() == "mem") mem += r.scalar().value();
  }
  EXPECT_NEAR(cpus, 4 - 1, 1e-9);
  EXPECT_NEAR(mem, 4096 - 128, 1e-9);
  EXPECT_EQ(offer.executor_ids_size(), 0);
  ASSERT_EQ(core_.View().frameworks[0].tasks.size(), 1u);  // the task is kept
}

TEST_F(MasterRecoveryTest, AgentUpdatesOfRecoveredTasksReachTheFramework) {
  (void)Reregister();
  // Before the framework is back: kept, and sent at its subscription.
  TaskStatus failed = AgentStatus("t1", mesos::v1::TASK_FAILED, 'f');
  failed.set_source(TaskStatus::SOURCE_AGENT);
  failed.set_reason(TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT);
  EXPECT_TRUE(core_.StatusUpdate("OLD-S0", "OLD-0000", failed, now_).events.empty());
  const std::string stream = Subscribe(OldFramework());
  const auto updates = UpdatesIn(last_);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].state(), mesos::v1::TASK_FAILED);
  EXPECT_EQ(updates[0].reason(), TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT);
  EXPECT_EQ(updates[0].uuid(), failed.uuid());
  // A recovered executor's end has no known wait status.
  const auto out = core_.ExecutorTerminated(
      "OLD-S0", "OLD-0000",
      [] {
        mesos::v1::ExecutorID id;
        id.set_value("E1");
        return id;
      }(),
      -1, now_);
  const auto events = EventsOn(out, stream);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type(), Event::FAILURE);
  EXPECT_FALSE(events[0].failure().has_status());
}

TEST_F(MasterRecoveryTest, UnknownFrameworkIdIsAcceptedButARemovedOneIsNot) {
  mesos::v1::FrameworkInfo info = Framework(3600);
  info.mutable_id()->set_value("OLD-0007");
  const std::string stream = Subscribe(info);
  EXPECT_EQ(framework_id_, "OLD-0007");
  Handle(NewCall(Call::TEARDOWN));
  Subscribe(info);
  bool refused = false;
  for (const auto& e : last_.events) {
    if (e.event.type() == Event::ERROR) {
      refused = e.event.error().message() == "Framework has been removed";
    }
  }
  EXPECT_TRUE(refused);
  (void)stream;
}

TEST_F(MasterRecoveryTest, ExecutorsOfARemovedFrameworkAreShutDownWhenTheirAgentComesBack) {
  Subscribe(OldFramework());
  Handle(NewCall(Call::TEARDOWN));
  const auto out = Reregister();
  const auto shutdowns = Requests<ShutdownExecutor>(out);
  ASSERT_EQ(shutdowns.size(), 1u);
  EXPECT_EQ(shutdowns[0].agent_id, "OLD-S0");
  EXPECT_EQ(shutdowns[0].framework_id, "OLD-0000");
  EXPECT_EQ(shutdowns[0].executor_id.value(), "E1");
  EXPECT_TRUE(core_.View().frameworks.empty());
}

TEST(Resources, AddSubtractAndContainRanges) {
  Resources offered;
  offered.Add(Scalar("cpus", 2));
  offered.Add(Ports(31000, 31009));
  Resources wanted;
  wanted.Add(Scalar("cpus", 0.5));
  wanted.Add(Ports(31003, 31004));
  EXPECT_TRUE(offered.Contains(wanted));
  offered.Subtract(wanted);
  EXPECT_EQ(offered.ToString(), "cpus:1.5; ports:[31000-31002, 31005-31009]");
  EXPECT_FALSE(offered.Contains(wanted));
  offered.Add(wanted);
  EXPECT_EQ(offered.ToString(), "cpus:2; ports:[31000-31009]");
  Resources other_role;
  auto web = Scalar("cpus", 1);
  web.set_role("web");
  other_role.Add(web);
  EXPECT_FALSE(offered.Contains(other_role));
}

Call UpdateFrameworkCall(const std::string& framework_id, mesos::v1::FrameworkInfo info,
                         std::vector<std::string> suppressed = {}) {
  Call call;
  call.set_type(Call::UPDATE_FRAMEWORK);
  call.mutable_framework_id()->set_value(framework_id);
  info.mutable_id()->set_value(framework_id);
  *call.mutable_update_framework()->mutable_framework_info() = info;
  for (const auto& r : suppressed) call.mutable_update_framework()->add_suppressed_roles(r);
  return call;
}

TEST_F(MasterCoreTest, UpdateFrameworkMovesRolesAndRescindsOffersOfRolesDropped) {
  AddAgent();
  const std::string stream = Subscribe(MultiRoleFramework({"web"}));
  const auto offer = OneOffer();
  ASSERT_EQ(offer.allocation_info().role(), "web");

  auto info = MultiRoleFramework({"db"});
  info.set_name("renamed");
  MasterCore::Update update = core_.UpdateFramework(UpdateFrameworkCall(framework_id_, info));
  ASSERT_EQ(update.status, 200) << update.body;
  auto events = EventsOn(update.output, stream);
  ASSERT_EQ(Types(events), (std::vector<Event::Type>{Event::RESCIND}));
  EXPECT_EQ(events[0].rescind().offer_id().value(), offer.id().value());

  const auto next = OneOffer();  // the agent's resources, now for the new role
  EXPECT_EQ(next.allocation_info().role(), "db");
  EXPECT_NE(next.id().value(), offer.id().value());
  ASSERT_EQ(core_.View().frameworks.size(), 1u);
  EXPECT_EQ(core_.View().frameworks[0].info.name(), "renamed");
  EXPECT_EQ(core_.View().frameworks[0].info.id().value(), framework_id_);
}

TEST_F(MasterCoreTest, UpdateFrameworkKeepsOffersOfRolesKeptAndSuppressesAsAsked) {
  AddAgent();
  const std::string stream = Subscribe(MultiRoleFramework({"web"}));
  const auto offer = OneOffer();
  MasterCore::Update update = core_.UpdateFramework(
      UpdateFrameworkCall(framework_id_, MultiRoleFramework({"web", "db"}), {"web", "db"}));
  ASSERT_EQ(update.status, 200) << update.body;
  EXPECT_TRUE(EventsOn(update.output, stream).empty());  // the web offer stands
  // Declined, its resources come back -- but every role is suppressed now.
  Call decline = NewCall(Call::DECLINE);
  *decline.mutable_decline()->add_offer_ids() = offer.id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(0);
  Handle(decline);
  now_ += 10'000;
  EXPECT_TRUE(OffersIn(Tick()).empty());
}

TEST_F(MasterCoreTest, UpdateFrameworkRefusesWhatMayNotChangeAndChangesNothing) {
  AddAgent();
  auto original = MultiRoleFramework({"web"});
  original.set_checkpoint(true);
  original.set_principal("ops");
  Subscribe(original);
  struct Case {
    std::function<void(mesos::v1::FrameworkInfo*)> change;
    std::vector<std::string> suppressed;
    std::string body;
  };
  const std::vector<Case> cases = {
      {[](auto* i) { i->set_principal("other"); },
       {},
       "UPDATE_FRAMEWORK cannot change FrameworkInfo.principal (it is 'ops')"},
      {[](auto* i) { i->clear_principal(); },
       {},
       "UPDATE_FRAMEWORK cannot change FrameworkInfo.principal (it is 'ops')"},
      {[](auto* i) { i->set_user("mallory"); },
       {},
       "UPDATE_FRAMEWORK cannot change FrameworkInfo.user (it is 'alice')"},
      {[](auto* i) { i->set_checkpoint(false); },
       {},
       "UPDATE_FRAMEWORK cannot change FrameworkInfo.checkpoint (it is true)"},
      {[](auto* i) { i->set_role("web"); },
       {},
       "a MULTI_ROLE framework lists its roles in 'roles'; 'role' must be left out"},
      {[](auto*) {}, {"db"}, "suppressed role 'db' is not one of the framework's roles"},
  };
  for (const Case& c : cases) {
    auto info = original;
    info.set_name("changed");
    c.change(&info);
    MasterCore::Update update =
        core_.UpdateFramework(UpdateFrameworkCall(framework_id_, info, c.suppressed));
    EXPECT_EQ(update.status, 400);
    EXPECT_EQ(update.body, c.body);
    EXPECT_TRUE(update.output.events.empty());
    EXPECT_EQ(core_.View().frameworks[0].info.name(), "test");
  }
  EXPECT_EQ(OneOffer().allocation_info().role(), "web");  // still offered as before
}

}  // namespace
}  // namespace mlaunch::cluster

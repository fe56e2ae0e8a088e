// The operator API's pure side: answers, metrics and the events between two
// views of the master.
#include "cluster/operator_api.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace mlaunch::cluster {
namespace {

namespace v1 = mesos::v1;
using v1::master::Call;
using v1::master::Event;
using v1::master::Response;

v1::Resource Scalar(const std::string& name, double value) {
  v1::Resource r;
  r.set_name(name);
  r.set_type(v1::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

AgentView Agent(const std::string& id) {
  AgentView agent;
  agent.info.mutable_id()->set_value(id);
  agent.info.set_hostname("127.0.0.2");
  agent.info.set_port(5051);
  *agent.info.add_resources() = Scalar("cpus", 4);
  *agent.info.add_resources() = Scalar("mem", 1024);
  return agent;
}

TaskView Task(const std::string& id, v1::TaskState state, std::optional<bool> healthy = {}) {
  TaskView task;
  task.info.set_name("web");
  task.info.mutable_task_id()->set_value(id);
  task.info.mutable_agent_id()->set_value("S0");
  task.info.mutable_executor()->mutable_executor_id()->set_value("E-" + id);
  *task.info.add_resources() = Scalar("cpus", 0.5);
  *task.info.add_resources() = Scalar("mem", 128);
  task.state = state;
  if (state != v1::TASK_STAGING) {
    v1::TaskStatus status;
    *status.mutable_task_id() = task.info.task_id();
    status.set_state(state);
    if (healthy) status.set_healthy(*healthy);
    task.latest = status;
  }
  task.completed = IsTerminal(state);
  return task;
}

FrameworkView Framework(const std::string& id, std::vector<TaskView> tasks = {}) {
  FrameworkView framework;
  framework.info.mutable_id()->set_value(id);
  framework.info.set_name("mesos-launch");
  framework.info.set_user("alice");
  framework.info.add_roles("web");
  framework.connected = true;
  framework.active = true;
  framework.tasks = std::move(tasks);
  return framework;
}

OperatorFacts Facts() {
  OperatorFacts facts;
  facts.master.set_id("master-1");
  facts.master.set_ip(0x0100007f);
  facts.master.set_port(5050);
  facts.master.set_version("1.12.0");
  facts.version.set_version("1.12.0");
  facts.version.set_git_sha("abc");
  facts.started_at = 1'000;
  facts.now = 31'500;
  return facts;
}

MasterView Running() {
  MasterView view;
  AgentView agent = Agent("S0");
  agent.used.Add(Scalar("cpus", 0.5));
  agent.used.Add(Scalar("mem", 128));
  view.agents.push_back(agent);
  view.frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_RUNNING, true)}));
  view.frameworks[0].executors.push_back({"S0", {}});
  view.frameworks[0].executors[0].info.mutable_executor_id()->set_value("E-web.0");
  return view;
}

Call CallOf(Call::Type type) {
  Call call;
  call.set_type(type);
  return call;
}

std::vector<Event::Type> Types(const std::vector<Event>& events) {
  std::vector<Event::Type> types;
  for (const Event& e : events) types.push_back(e.type());
  return types;
}

TEST(OperatorApi, StateListsTasksFrameworksExecutorsAndAgents) {
  const OperatorAnswer answer = AnswerOperatorCall(CallOf(Call::GET_STATE), Running(), Facts());
  ASSERT_EQ(answer.status, 200);
  ASSERT_EQ(answer.response.type(), Response::GET_STATE);
  const Response::GetState& state = answer.response.get_state();
  ASSERT_EQ(state.get_tasks().tasks_size(), 1);
  const v1::Task& task = state.get_tasks().tasks(0);
  EXPECT_EQ(task.task_id().value(), "web.0");
  EXPECT_EQ(task.framework_id().value(), "F0");
  EXPECT_EQ(task.executor_id().value(), "E-web.0");
  EXPECT_EQ(task.state(), v1::TASK_RUNNING);
  ASSERT_EQ(task.statuses_size(), 1);
  EXPECT_TRUE(task.statuses(0).healthy());
  EXPECT_EQ(task.user(), "alice");
  ASSERT_EQ(state.get_frameworks().frameworks_size(), 1);
  EXPECT_TRUE(state.get_frameworks().frameworks(0).connected());
  EXPECT_EQ(Resources(state.get_frameworks().frameworks(0).allocated_resources()).Scalar("cpus"),
            0.5);
  ASSERT_EQ(state.get_executors().executors_size(), 1);
  EXPECT_EQ(state.get_executors().executors(0).agent_id().value(), "S0");
  ASSERT_EQ(state.get_agents().agents_size(), 1);
  const Response::GetAgents::Agent& agent = state.get_agents().agents(0);
  EXPECT_EQ(agent.pid(), "slave(1)@127.0.0.2:5051");
  EXPECT_EQ(agent.version(), "1.12.0");
  EXPECT_EQ(Resources(agent.allocated_resources()).Scalar("mem"), 128);
  EXPECT_TRUE(answer.response.IsInitialized()) << answer.response.InitializationErrorString();
}

TEST(OperatorApi, CompletedTasksAreListedApart) {
  MasterView view = Running();
  view.frameworks[0].tasks.push_back(Task("web.1", v1::TASK_KILLED));
  const Response::GetTasks tasks =
      AnswerOperatorCall(CallOf(Call::GET_TASKS), view, Facts()).response.get_tasks();
  ASSERT_EQ(tasks.tasks_size(), 1);
  ASSERT_EQ(tasks.completed_tasks_size(), 1);
  EXPECT_EQ(tasks.completed_tasks(0).task_id().value(), "web.1");
}

TEST(OperatorApi, EachReadCallAnswersItsOwnType) {
  const std::map<Call::Type, Response::Type> pairs = {
      {Call::GET_HEALTH, Response::GET_HEALTH},
      {Call::GET_VERSION, Response::GET_VERSION},
      {Call::GET_METRICS, Response::GET_METRICS},
      {Call::GET_AGENTS, Response::GET_AGENTS},
      {Call::GET_FRAMEWORKS, Response::GET_FRAMEWORKS},
      {Call::GET_EXECUTORS, Response::GET_EXECUTORS},
      {Call::GET_TASKS, Response::GET_TASKS},
      {Call::GET_ROLES, Response::GET_ROLES},
      {Call::GET_MASTER, Response::GET_MASTER}};
  for (const auto& [call, type] : pairs) {
    const OperatorAnswer answer = AnswerOperatorCall(CallOf(call), Running(), Facts());
    EXPECT_EQ(answer.status, 200) << Call::Type_Name(call);
    EXPECT_EQ(answer.response.type(), type) << Call::Type_Name(call);
    EXPECT_TRUE(answer.response.IsInitialized()) << Call::Type_Name(call);
  }
  EXPECT_TRUE(
      AnswerOperatorCall(CallOf(Call::GET_HEALTH), {}, Facts()).response.get_health().healthy());
  EXPECT_EQ(AnswerOperatorCall(CallOf(Call::GET_VERSION), {}, Facts())
                .response.get_version()
                .version_info()
                .git_sha(),
            "abc");
}

TEST(OperatorApi, RolesNameTheirFrameworksAndWhatTheyUse) {
  MasterView view = Running();
  v1::Resource allocated = Scalar("cpus", 0.5);
  allocated.mutable_allocation_info()->set_role("web");
  *view.frameworks[0].tasks[0].info.mutable_resources(0) = allocated;
  const Response::GetRoles roles =
      AnswerOperatorCall(CallOf(Call::GET_ROLES), view, Facts()).response.get_roles();
  ASSERT_EQ(roles.roles_size(), 1);
  EXPECT_EQ(roles.roles(0).name(), "web");
  EXPECT_EQ(roles.roles(0).weight(), 1.0);
  ASSERT_EQ(roles.roles(0).frameworks_size(), 1);
  EXPECT_EQ(roles.roles(0).frameworks(0).value(), "F0");
  EXPECT_EQ(Resources(roles.roles(0).resources()).Scalar("cpus"), 0.5);
}

TEST(OperatorApi, CallsNotServedAre501NamingThoseThatAre) {
  for (Call::Type type : {Call::GET_FLAGS, Call::SET_LOGGING_LEVEL, Call::UNKNOWN}) {
    const OperatorAnswer answer = AnswerOperatorCall(CallOf(type), Running(), Facts());
    EXPECT_EQ(answer.status, 501);
    EXPECT_NE(answer.error.find(Call::Type_Name(type) + " is not served"), std::string::npos)
        << answer.error;
    EXPECT_NE(answer.error.find("GET_STATE"), std::string::npos) << answer.error;
    EXPECT_NE(answer.error.find("SUBSCRIBE"), std::string::npos) << answer.error;
  }
}

TEST(OperatorApi, MetricsUseMesosNames) {
  MasterView view = Running();
  view.completed_counts[v1::TASK_FINISHED] = 3;
  view.frameworks[0].tasks.push_back(Task("web.1", v1::TASK_FAILED));
  view.frameworks[0].tasks.back().completed = false;  // terminal, not yet acknowledged
  const nlohmann::json metrics = MetricsJson(OperatorMetrics(view, Facts()));
  EXPECT_EQ(metrics["master/uptime_secs"], 30.5);
  EXPECT_EQ(metrics["master/elected"], 1);
  EXPECT_EQ(metrics["master/slaves_active"], 1);
  EXPECT_EQ(metrics["master/frameworks_active"], 1);
  EXPECT_EQ(metrics["master/frameworks_connected"], 1);
  EXPECT_EQ(metrics["master/tasks_running"], 1);
  EXPECT_EQ(metrics["master/tasks_finished"], 3);
  EXPECT_EQ(metrics["master/tasks_failed"], 1);
  EXPECT_EQ(metrics["master/tasks_staging"], 0);
  EXPECT_EQ(metrics["master/cpus_total"], 4);
  EXPECT_EQ(metrics["master/cpus_used"], 0.5);
  EXPECT_EQ(metrics["master/cpus_percent"], 0.125);
  EXPECT_EQ(metrics["master/mem_total"], 1024);
  EXPECT_EQ(metrics["master/mem_used"], 128);
  EXPECT_EQ(metrics["master/disk_total"], 0);
  OperatorFacts following = Facts();
  following.elected = false;
  EXPECT_EQ(MetricsJson(OperatorMetrics(view, following))["master/elected"], 0);
}

// A table of changes between two views and the events each must raise.
TEST(OperatorApi, ChangesBecomeEventsInMesosOrder) {
  const v1::MasterInfo master;
  struct Case {
    const char* what;
    MasterView before;
    MasterView after;
    std::vector<Event::Type> events;
  };
  MasterView empty;
  MasterView agent_only;
  agent_only.agents.push_back(Agent("S0"));
  MasterView staging = agent_only;
  staging.frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_STAGING)}));
  MasterView running = agent_only;
  running.frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_RUNNING)}));
  MasterView healthy = agent_only;
  healthy.frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_RUNNING, true)}));
  MasterView unhealthy = agent_only;
  unhealthy.frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_RUNNING, false)}));
  MasterView disconnected = running;
  disconnected.frameworks[0].connected = false;
  MasterView killed = agent_only;
  killed.completed_frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_KILLED)}));
  MasterView forgotten = agent_only;
  forgotten.frameworks.push_back(Framework("F0"));

  const std::vector<Case> cases = {
      {"nothing changed", running, running, {}},
      {"an agent registers", empty, agent_only, {Event::AGENT_ADDED}},
      {"a framework launches a task",
       agent_only,
       staging,
       {Event::FRAMEWORK_ADDED, Event::TASK_ADDED}},
      {"a task seen first already running",
       agent_only,
       running,
       {Event::FRAMEWORK_ADDED, Event::TASK_ADDED, Event::TASK_UPDATED}},
      {"the task runs", staging, running, {Event::TASK_UPDATED}},
      {"its health check passes", running, healthy, {Event::TASK_UPDATED}},
      {"then fails", healthy, unhealthy, {Event::TASK_UPDATED}},
      {"the framework disconnects", running, disconnected, {Event::FRAMEWORK_UPDATED}},
      {"it tears down", running, killed, {Event::TASK_UPDATED, Event::FRAMEWORK_REMOVED}},
      {"a completed task is forgotten", running, forgotten, {}},
      {"the agent is marked gone", agent_only, empty, {Event::AGENT_REMOVED}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Types(OperatorChanges(c.before, c.after, master)), c.events) << c.what;
  }
}

TEST(OperatorApi, EventsCarryWhatChanged) {
  const v1::MasterInfo master;
  MasterView before;
  before.agents.push_back(Agent("S0"));
  before.frameworks.push_back(Framework("F0", {Task("web.0", v1::TASK_RUNNING)}));
  MasterView after = before;
  after.frameworks[0].tasks[0] = Task("web.0", v1::TASK_RUNNING, true);
  std::vector<Event> events = OperatorChanges(before, after, master);
  ASSERT_EQ(events.size(), 1u);
  const Event::TaskUpdated& updated = events[0].task_updated();
  EXPECT_EQ(updated.framework_id().value(), "F0");
  EXPECT_EQ(updated.state(), v1::TASK_RUNNING);
  EXPECT_TRUE(updated.status().healthy());
  EXPECT_TRUE(events[0].IsInitialized());

  // A state the master set itself (no update says it): a status is made.
  MasterView killed = before;
  killed.frameworks[0].tasks[0].state = v1::TASK_KILLED;
  events = OperatorChanges(before, killed, master);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].task_updated().status().state(), v1::TASK_KILLED);
  EXPECT_EQ(events[0].task_updated().status().source(), v1::TaskStatus::SOURCE_MASTER);
  EXPECT_TRUE(events[0].IsInitialized());

  events = OperatorChanges(before, {}, master);
  ASSERT_EQ(Types(events),
            (std::vector<Event::Type>{Event::FRAMEWORK_REMOVED, Event::AGENT_REMOVED}));
  EXPECT_EQ(events[0].framework_removed().framework_info().id().value(), "F0");
  EXPECT_EQ(events[1].agent_removed().agent_id().value(), "S0");
}

}  // namespace
}  // namespace mlaunch::cluster

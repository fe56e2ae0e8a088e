#include "cluster/operator_api.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace mlaunch::cluster {
namespace {

namespace v1 = mesos::v1;
using v1::master::Call;
using v1::master::Event;
using v1::master::Response;

v1::Task ToTask(const FrameworkView& framework, const TaskView& view) {
  const v1::TaskInfo& info = view.info;
  v1::Task task;
  task.set_name(info.name());
  *task.mutable_task_id() = info.task_id();
  *task.mutable_framework_id() = framework.info.id();
  // A command task has no executor of its own in Mesos' Task.
  if (info.has_executor()) *task.mutable_executor_id() = info.executor().executor_id();
  *task.mutable_agent_id() = info.agent_id();
  task.set_state(view.state);
  *task.mutable_resources() = info.resources();
  if (view.latest) *task.add_statuses() = *view.latest;
  if (info.has_labels()) *task.mutable_labels() = info.labels();
  if (info.has_discovery()) *task.mutable_discovery() = info.discovery();
  if (info.has_container()) *task.mutable_container() = info.container();
  task.set_user(framework.info.user());
  return task;
}

// The resources of a framework's tasks that are not yet terminal.
Resources InUse(const FrameworkView& framework) {
  Resources used;
  for (const TaskView& task : framework.tasks) {
    if (!IsTerminal(task.state)) used.Add(Resources(task.info.resources()));
  }
  for (const ExecutorView& executor : framework.executors) {
    used.Add(Resources(executor.info.resources()));
  }
  return used;
}

Response::GetFrameworks::Framework ToFramework(const FrameworkView& view) {
  Response::GetFrameworks::Framework framework;
  *framework.mutable_framework_info() = view.info;
  framework.set_active(view.active);
  framework.set_connected(view.connected);
  framework.set_recovered(false);
  Resources offered;
  for (const v1::Offer& offer : view.offers) {
    *framework.add_offers() = offer;
    offered.Add(Resources(offer.resources()));
  }
  InUse(view).CopyTo(framework.mutable_allocated_resources());
  offered.CopyTo(framework.mutable_offered_resources());
  return framework;
}

Response::GetAgents::Agent ToAgent(const AgentView& view, const v1::MasterInfo& master) {
  Response::GetAgents::Agent agent;
  *agent.mutable_agent_info() = view.info;
  agent.set_active(true);
  agent.set_version(master.version());
  agent.set_pid("slave(1)@" + view.info.hostname() + ":" + std::to_string(view.info.port()));
  *agent.mutable_total_resources() = view.info.resources();
  view.used.CopyTo(agent.mutable_allocated_resources());
  view.offered.CopyTo(agent.mutable_offered_resources());
  return agent;
}

Response::GetTasks Tasks(const MasterView& view) {
  Response::GetTasks tasks;
  for (const FrameworkView& framework : view.frameworks) {
    for (const TaskView& task : framework.tasks) {
      *(task.completed ? tasks.add_completed_tasks() : tasks.add_tasks()) = ToTask(framework, task);
    }
  }
  for (const FrameworkView& framework : view.completed_frameworks) {
    for (const TaskView& task : framework.tasks)
      *tasks.add_completed_tasks() = ToTask(framework, task);
  }
  return tasks;
}

Response::GetExecutors Executors(const MasterView& view) {
  Response::GetExecutors executors;
  for (const FrameworkView& framework : view.frameworks) {
    for (const ExecutorView& executor : framework.executors) {
      Response::GetExecutors::Executor* out = executors.add_executors();
      *out->mutable_executor_info() = executor.info;
      out->mutable_agent_id()->set_value(executor.agent_id);
    }
  }
  return executors;
}

Response::GetFrameworks Frameworks(const MasterView& view) {
  Response::GetFrameworks frameworks;
  for (const FrameworkView& f : view.frameworks) *frameworks.add_frameworks() = ToFramework(f);
  for (const FrameworkView& f : view.completed_frameworks) {
    *frameworks.add_completed_frameworks() = ToFramework(f);
  }
  return frameworks;
}

Response::GetAgents Agents(const MasterView& view, const v1::MasterInfo& master) {
  Response::GetAgents agents;
  for (const AgentView& agent : view.agents) *agents.add_agents() = ToAgent(agent, master);
  return agents;
}

// The roles a framework subscribed with (MULTI_ROLE's list, else its one).
std::vector<std::string> RolesOf(const v1::FrameworkInfo& info) {
  if (info.roles_size() > 0) return {info.roles().begin(), info.roles().end()};
  return {info.has_role() ? info.role() : "*"};
}

Response::GetRoles Roles(const MasterView& view) {
  std::map<std::string, v1::Role> roles;
  for (const FrameworkView& framework : view.frameworks) {
    const std::vector<std::string> names = RolesOf(framework.info);
    for (const std::string& name : names) {
      v1::Role& role = roles[name];
      role.set_name(name);
      role.set_weight(1.0);
      *role.add_frameworks() = framework.info.id();
    }
    // A resource belongs to the role it was allocated to (or the only one).
    const Resources used = InUse(framework);
    for (const v1::Resource& resource : used.list()) {
      const std::string name =
          resource.has_allocation_info() ? resource.allocation_info().role() : names.front();
      if (auto it = roles.find(name); it != roles.end()) *it->second.add_resources() = resource;
    }
  }
  Response::GetRoles out;
  for (auto& [name, role] : roles) *out.add_roles() = std::move(role);
  return out;
}

const char* const kAnswered =
    "GET_HEALTH, GET_VERSION, GET_METRICS, GET_STATE, GET_AGENTS, GET_FRAMEWORKS, "
    "GET_EXECUTORS, GET_TASKS, GET_ROLES, GET_MASTER, SUBSCRIBE and MARK_AGENT_GONE";

// A task's health as its newest update says, if it says.
std::optional<bool> HealthOf(const TaskView& task) {
  if (!task.latest || !task.latest->has_healthy()) return std::nullopt;
  return task.latest->healthy();
}

Event TaskUpdated(const FrameworkView& framework, const TaskView& task) {
  Event event;
  event.set_type(Event::TASK_UPDATED);
  Event::TaskUpdated* updated = event.mutable_task_updated();
  *updated->mutable_framework_id() = framework.info.id();
  if (task.latest && task.latest->state() == task.state) {
    *updated->mutable_status() = *task.latest;
  } else {
    // The master changed the state itself (a kill of a removed framework,
    // an agent marked gone): the status says what the task is now.
    v1::TaskStatus* status = updated->mutable_status();
    *status->mutable_task_id() = task.info.task_id();
    status->set_state(task.state);
    *status->mutable_agent_id() = task.info.agent_id();
    status->set_source(v1::TaskStatus::SOURCE_MASTER);
  }
  updated->set_state(task.state);
  return event;
}

template <typename T, typename Key>
std::map<std::string, const T*> ById(const std::vector<T>& items, Key key) {
  std::map<std::string, const T*> out;
  for (const T& item : items) out[key(item)] = &item;
  return out;
}

std::string FrameworkKey(const FrameworkView& f) { return f.info.id().value(); }
std::string AgentKey(const AgentView& a) { return a.info.id().value(); }

}  // namespace

Response::GetState OperatorState(const MasterView& view, const v1::MasterInfo& master) {
  Response::GetState state;
  *state.mutable_get_tasks() = Tasks(view);
  *state.mutable_get_executors() = Executors(view);
  *state.mutable_get_frameworks() = Frameworks(view);
  *state.mutable_get_agents() = Agents(view, master);
  return state;
}

OperatorAnswer AnswerOperatorCall(const Call& call, const MasterView& view,
                                  const OperatorFacts& facts) {
  OperatorAnswer answer;
  Response& response = answer.response;
  switch (call.type()) {
    case Call::GET_HEALTH:
      response.set_type(Response::GET_HEALTH);
      response.mutable_get_health()->set_healthy(true);
      break;
    case Call::GET_VERSION:
      response.set_type(Response::GET_VERSION);
      *response.mutable_get_version()->mutable_version_info() = facts.version;
      break;
    case Call::GET_METRICS: {
      response.set_type(Response::GET_METRICS);
      for (v1::Metric& metric : OperatorMetrics(view, facts)) {
        *response.mutable_get_metrics()->add_metrics() = std::move(metric);
      }
      break;
    }
    case Call::GET_STATE:
      response.set_type(Response::GET_STATE);
      *response.mutable_get_state() = OperatorState(view, facts.master);
      break;
    case Call::GET_AGENTS:
      response.set_type(Response::GET_AGENTS);
      *response.mutable_get_agents() = Agents(view, facts.master);
      break;
    case Call::GET_FRAMEWORKS:
      response.set_type(Response::GET_FRAMEWORKS);
      *response.mutable_get_frameworks() = Frameworks(view);
      break;
    case Call::GET_EXECUTORS:
      response.set_type(Response::GET_EXECUTORS);
      *response.mutable_get_executors() = Executors(view);
      break;
    case Call::GET_TASKS:
      response.set_type(Response::GET_TASKS);
      *response.mutable_get_tasks() = Tasks(view);
      break;
    case Call::GET_ROLES:
      response.set_type(Response::GET_ROLES);
      *response.mutable_get_roles() = Roles(view);
      break;
    case Call::GET_MASTER:
      response.set_type(Response::GET_MASTER);
      *response.mutable_get_master()->mutable_master_info() = facts.master;
      break;
    default: {
      const std::string name = Call::Type_IsValid(call.type())
                                   ? Call::Type_Name(call.type())
                                   : "a call of type " + std::to_string(call.type());
      answer.status = 501;
      answer.error =
          name + " is not served by the embedded master; it answers " + std::string(kAnswered);
      break;
    }
  }
  return answer;
}

std::vector<Event> OperatorChanges(const MasterView& before, const MasterView& after,
                                   const v1::MasterInfo& master) {
  std::vector<Event> events;
  const auto agents_before = ById(before.agents, AgentKey);
  const auto agents_after = ById(after.agents, AgentKey);
  for (const auto& [id, agent] : agents_after) {
    if (agents_before.count(id)) continue;
    Event event;
    event.set_type(Event::AGENT_ADDED);
    *event.mutable_agent_added()->mutable_agent() = ToAgent(*agent, master);
    events.push_back(std::move(event));
  }

  const auto frameworks_before = ById(before.frameworks, FrameworkKey);
  for (const FrameworkView& framework : after.frameworks) {
    auto it = frameworks_before.find(FrameworkKey(framework));
    const bool added = it == frameworks_before.end();
    if (!added && it->second->connected == framework.connected &&
        it->second->active == framework.active &&
        it->second->info.SerializeAsString() == framework.info.SerializeAsString()) {
      continue;
    }
    Event event;
    if (added) {
      event.set_type(Event::FRAMEWORK_ADDED);
      *event.mutable_framework_added()->mutable_framework() = ToFramework(framework);
    } else {
      event.set_type(Event::FRAMEWORK_UPDATED);
      *event.mutable_framework_updated()->mutable_framework() = ToFramework(framework);
    }
    events.push_back(std::move(event));
  }

  // Tasks by framework id and task id, over running and completed
  // frameworks alike (a framework's removal ends its tasks first).
  std::map<std::pair<std::string, std::string>, const TaskView*> tasks_before;
  for (const auto* list : {&before.frameworks, &before.completed_frameworks}) {
    for (const FrameworkView& framework : *list) {
      for (const TaskView& task : framework.tasks) {
        tasks_before[{FrameworkKey(framework), task.info.task_id().value()}] = &task;
      }
    }
  }
  for (const auto* list : {&after.frameworks, &after.completed_frameworks}) {
    for (const FrameworkView& framework : *list) {
      for (const TaskView& task : framework.tasks) {
        auto it = tasks_before.find({FrameworkKey(framework), task.info.task_id().value()});
        if (it == tasks_before.end()) {
          Event event;
          event.set_type(Event::TASK_ADDED);
          *event.mutable_task_added()->mutable_task() = ToTask(framework, task);
          events.push_back(std::move(event));
          if (task.latest) events.push_back(TaskUpdated(framework, task));
        } else if (it->second->state != task.state || HealthOf(*it->second) != HealthOf(task)) {
          events.push_back(TaskUpdated(framework, task));
        }
      }
    }
  }

  const auto frameworks_after = ById(after.frameworks, FrameworkKey);
  for (const auto& [id, framework] : frameworks_before) {
    if (frameworks_after.count(id)) continue;
    Event event;
    event.set_type(Event::FRAMEWORK_REMOVED);
    *event.mutable_framework_removed()->mutable_framework_info() = framework->info;
    events.push_back(std::move(event));
  }
  for (const auto& [id, agent] : agents_before) {
    if (agents_after.count(id)) continue;
    Event event;
    event.set_type(Event::AGENT_REMOVED);
    event.mutable_agent_removed()->mutable_agent_id()->set_value(id);
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<v1::Metric> OperatorMetrics(const MasterView& view, const OperatorFacts& facts) {
  std::map<std::string, double> values;
  values["master/uptime_secs"] = static_cast<double>(facts.now - facts.started_at) / 1000.0;
  values["master/elected"] = facts.elected ? 1 : 0;
  const double agents = static_cast<double>(view.agents.size());
  values["master/slaves_active"] = agents;
  values["master/slaves_connected"] = agents;
  values["master/slaves_inactive"] = 0;
  values["master/slaves_disconnected"] = 0;

  double connected = 0;
  double active = 0;
  double offers = 0;
  for (const FrameworkView& framework : view.frameworks) {
    connected += framework.connected ? 1 : 0;
    active += framework.active ? 1 : 0;
    offers += static_cast<double>(framework.offers.size());
  }
  const double frameworks = static_cast<double>(view.frameworks.size());
  values["master/frameworks_connected"] = connected;
  values["master/frameworks_disconnected"] = frameworks - connected;
  values["master/frameworks_active"] = active;
  values["master/frameworks_inactive"] = frameworks - active;
  values["master/outstanding_offers"] = offers;

  // Gauges for the states a task passes through; counters for the states
  // it ends in (completed ones, plus those terminal but not yet completed).
  const std::map<v1::TaskState, std::string> states = {
      {v1::TASK_STAGING, "staging"},
      {v1::TASK_STARTING, "starting"},
      {v1::TASK_RUNNING, "running"},
      {v1::TASK_KILLING, "killing"},
      {v1::TASK_UNREACHABLE, "unreachable"},
      {v1::TASK_FINISHED, "finished"},
      {v1::TASK_FAILED, "failed"},
      {v1::TASK_KILLED, "killed"},
      {v1::TASK_LOST, "lost"},
      {v1::TASK_ERROR, "error"},
      {v1::TASK_DROPPED, "dropped"},
      {v1::TASK_GONE, "gone"},
      {v1::TASK_GONE_BY_OPERATOR, "gone_by_operator"}};
  std::map<v1::TaskState, double> count;
  for (const auto& [state, n] : view.completed_counts) count[state] += static_cast<double>(n);
  for (const FrameworkView& framework : view.frameworks) {
    for (const TaskView& task : framework.tasks) {
      if (!task.completed) count[task.state] += 1;
    }
  }
  for (const auto& [state, name] : states) values["master/tasks_" + name] = count[state];

  Resources total;
  Resources used;
  for (const AgentView& agent : view.agents) {
    total.Add(Resources(agent.info.resources()));
    used.Add(agent.used);
  }
  for (const char* name : {"cpus", "mem", "disk"}) {
    const double t = total.Scalar(name).value_or(0);
    const double u = used.Scalar(name).value_or(0);
    values[std::string("master/") + name + "_total"] = t;
    values[std::string("master/") + name + "_used"] = u;
    values[std::string("master/") + name + "_percent"] = t > 0 ? u / t : 0;
  }

  std::vector<v1::Metric> metrics;
  for (const auto& [name, value] : values) {
    v1::Metric metric;
    metric.set_name(name);
    metric.set_value(value);
    metrics.push_back(std::move(metric));
  }
  return metrics;
}

nlohmann::json MetricsJson(const std::vector<v1::Metric>& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const v1::Metric& metric : metrics) out[metric.name()] = metric.value();
  return out;
}

nlohmann::json VersionJson(const v1::VersionInfo& version) {
  nlohmann::json out = {{"version", version.version()}};
  if (version.has_build_date()) out["build_date"] = version.build_date();
  if (version.has_build_time()) out["build_time"] = version.build_time();
  if (version.has_build_user()) out["build_user"] = version.build_user();
  if (version.has_git_sha()) out["git_sha"] = version.git_sha();
  if (version.has_git_branch()) out["git_branch"] = version.git_branch();
  if (version.has_git_tag()) out["git_tag"] = version.git_tag();
  return out;
}

}  // namespace mlaunch::cluster

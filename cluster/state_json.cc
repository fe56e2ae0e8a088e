#include "cluster/state_json.h"

namespace mlaunch::cluster {
namespace {

nlohmann::json TaskJson(const std::string& framework_id, const TaskView& task) {
  nlohmann::json out = {
      {"id", task.info.task_id().value()},
      {"name", task.info.name()},
      {"framework_id", framework_id},
      {"slave_id", task.info.agent_id().value()},
      {"state", mesos::v1::TaskState_Name(task.state)},
      {"resources", ResourcesJson(Resources(task.info.resources()).Unallocated())},
  };
  out["executor_id"] = task.info.has_executor() ? task.info.executor().executor_id().value() : "";
  return out;
}

nlohmann::json FrameworkJson(const FrameworkView& framework) {
  const auto& info = framework.info;
  nlohmann::json out = {
      {"id", info.id().value()},
      {"name", info.name()},
      {"user", info.user()},
      {"failover_timeout", info.failover_timeout()},
      {"checkpoint", info.checkpoint()},
      {"hostname", info.hostname()},
      {"active", framework.active},
      {"connected", framework.connected},
  };
  if (info.has_principal()) out["principal"] = info.principal();
  out["role"] = info.role();
  out["roles"] = nlohmann::json::array();
  for (const auto& role : info.roles()) out["roles"].push_back(role);
  out["capabilities"] = nlohmann::json::array();
  for (const auto& c : info.capabilities()) {
    out["capabilities"].push_back(mesos::v1::FrameworkInfo::Capability::Type_Name(c.type()));
  }
  nlohmann::json tasks = nlohmann::json::array();
  nlohmann::json completed = nlohmann::json::array();
  for (const TaskView& task : framework.tasks) {
    (IsTerminal(task.state) ? completed : tasks).push_back(TaskJson(info.id().value(), task));
  }
  out["tasks"] = std::move(tasks);
  out["completed_tasks"] = std::move(completed);
  nlohmann::json offers = nlohmann::json::array();
  for (const auto& offer : framework.offers) {
    offers.push_back({{"id", offer.id().value()},
                      {"framework_id", offer.framework_id().value()},
                      {"slave_id", offer.agent_id().value()},
                      {"resources", ResourcesJson(Resources(offer.resources()).Unallocated())}});
  }
  out["offers"] = std::move(offers);
  return out;
}

}  // namespace

nlohmann::json ResourcesJson(const Resources& resources) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : resources.list()) {
    if (r.type() == mesos::v1::Value::SCALAR) {
      out[r.name()] = out.value(r.name(), 0.0) + r.scalar().value();
    } else {
      Resources one;
      one.Add(r);
      const std::string text = one.ToString();
      out[r.name()] = text.substr(text.find(':') + 1);
    }
  }
  return out;
}

nlohmann::json StateJson(const mesos::v1::MasterInfo& master, const MasterView& view) {
  nlohmann::json out = {
      {"version", master.version()},
      {"id", master.id()},
      {"pid", master.pid()},
      {"hostname", master.hostname()},
      {"activated_slaves", view.agents.size()},
      {"leader", master.pid()},
  };
  nlohmann::json agents = nlohmann::json::array();
  for (const AgentView& agent : view.agents) {
    nlohmann::json attributes = nlohmann::json::object();
    for (const auto& a : agent.info.attributes()) {
      if (a.type() == mesos::v1::Value::TEXT) attributes[a.name()] = a.text().value();
      if (a.type() == mesos::v1::Value::SCALAR) attributes[a.name()] = a.scalar().value();
    }
    agents.push_back({
        {"id", agent.info.id().value()},
        {"hostname", agent.info.hostname()},
        {"port", agent.info.port()},
        {"active", true},
        {"resources", ResourcesJson(Resources(agent.info.resources()))},
        {"used_resources", ResourcesJson(agent.used)},
        {"offered_resources", ResourcesJson(agent.offered)},
        {"attributes", std::move(attributes)},
    });
  }
  out["slaves"] = std::move(agents);
  nlohmann::json frameworks = nlohmann::json::array();
  for (const auto& f : view.frameworks) frameworks.push_back(FrameworkJson(f));
  out["frameworks"] = std::move(frameworks);
  nlohmann::json completed = nlohmann::json::array();
  for (const auto& f : view.completed_frameworks) completed.push_back(FrameworkJson(f));
  out["completed_frameworks"] = std::move(completed);
  return out;
}

}  // namespace mlaunch::cluster

#include "launcher/plan_json.h"

#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/json_text.h"

namespace mlaunch {
namespace {

using nlohmann::json;

json ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // Mesos' own JSON uses these
  std::string text;
  const auto printed = google::protobuf::util::MessageToJsonString(message, &text, options);
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!printed.ok() || value.is_discarded()) {
    // Not reached with a spec that passed its checks (its strings are
    // UTF-8); the plan stays JSON and says what went wrong.
    return {{"error", "cannot show " + message.GetTypeName() +
                          " as JSON: " + std::string(printed.message())}};
  }
  return value;
}

// Replaces `from` in every string of `value`.
void ReplaceEverywhere(json& value, const std::string& from, const std::string& to) {
  if (value.is_string()) {
    std::string s = value.get<std::string>();
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
      s.replace(at, from.size(), to);
    }
    value = s;
  } else if (value.is_structured()) {
    for (auto& child : value) ReplaceEverywhere(child, from, to);
  }
}

json PortValue(const PortAsk& port) {
  if (port.static_port) return *port.static_port;
  return "${ports." + port.name + "}";
}

// The port the task's processes use: a container's own when it maps ports
// (TaskPlan::port_maps), else the host's.
json InsidePortValue(const TaskPlan& task, const PortAsk& port) {
  for (const TaskPlan::PortMap& m : task.port_maps) {
    if (m.name == port.name && m.container_port != 0) return m.container_port;
  }
  return PortValue(port);
}

json Instance(const TaskPlan& task, int64_t index) {
  mesos::v1::TaskInfo info = task.task_info;
  info.mutable_task_id()->set_value("${task_id}");
  info.mutable_agent_id()->set_value("${offer.agent_id}");
  json out = ToJson(info);
  auto ask_of = [&](const std::string& name) -> const PortAsk* {
    for (const PortAsk& port : task.match.ports) {
      if (port.name == name) return &port;
    }
    return nullptr;
  };

  json ranges = json::array();
  for (const PortAsk& port : task.match.ports) {
    ranges.push_back({{"begin", PortValue(port)}, {"end", PortValue(port)}});
  }
  if (!ranges.empty()) {
    out["resources"].push_back(
        {{"name", "ports"}, {"type", "RANGES"}, {"ranges", {{"range", ranges}}}});
  }
  if (const PortAsk* port = ask_of(task.health_port)) {
    for (const char* kind : {"http", "tcp"}) {
      if (out.contains("health_check") && out["health_check"].contains(kind)) {
        out["health_check"][kind]["port"] = InsidePortValue(task, *port);
      }
    }
  }
  if (!task.port_maps.empty()) {
    json& container = out["executor"]["container"];
    auto fill = [&](json& mappings) {
      for (size_t i = 0; i < mappings.size() && i < task.port_maps.size(); ++i) {
        if (const PortAsk* port = ask_of(task.port_maps[i].name)) {
          mappings[i]["host_port"] = PortValue(*port);
          mappings[i]["container_port"] = InsidePortValue(task, *port);
        }
      }
    };
    if (container.contains("docker") && container["docker"].contains("port_mappings")) {
      fill(container["docker"]["port_mappings"]);
    }
    if (container.contains("network_infos")) {
      for (json& network : container["network_infos"]) {
        if (network.contains("port_mappings")) fill(network["port_mappings"]);
      }
    }
  }
  if (out.contains("discovery") && out["discovery"].contains("ports")) {
    for (json& p : out["discovery"]["ports"]["ports"]) {
      for (const PortAsk& port : task.match.ports) {
        if (p.value("name", "") == port.name) p["number"] = PortValue(port);
      }
    }
  }
  if (out.contains("executor")) {
    json& env = out["executor"]["command"]["environment"]["variables"];
    for (json& variable : env) {
      if (variable.value("type", "") == "SECRET") {
        variable["secret"]["value"]["data"] = "<redacted>";
      }
    }
  }

  ServiceConfig service = task.service;
  service.set_instance(static_cast<uint32_t>(index));
  json data = ToJson(service);
  // People read the body as text, not base64; dump() keeps odd bytes safe.
  if (service.has_http() && service.http().has_body()) data["http"]["body"] = service.http().body();
  if (data.contains("ports")) {
    for (json& p : data["ports"]) {
      if (const PortAsk* port = ask_of(p.value("name", "")))
        p["number"] = InsidePortValue(task, *port);
    }
  }
  out["data"] = {{"mlaunch.ServiceConfig", data}};

  std::string id = task.name + "." + std::to_string(index) + ".${uuid}";
  ReplaceEverywhere(out, "${task_id}", id);
  ReplaceEverywhere(out, "${instance}", std::to_string(index));
  return out;
}

json Match(const MatchRule& m) {
  auto asks = [](const ResourceAsk& a) {
    auto round = [](double v) { return std::round(v * 1000.0) / 1000.0; };
    return json{{"cpus", round(a.cpus)},
                {"mem", round(a.mem)},
                {"disk", round(a.disk)},
                {"gpus", round(a.gpus)}};
  };
  json ports = json::array();
  for (const PortAsk& p : m.ports) {
    ports.push_back(
        {{"name", p.name}, {"static", p.static_port ? json(*p.static_port) : json(nullptr)}});
  }
  json constraints = json::array();
  for (const spec::Constraint& c : m.constraints) {
    json triple = {c.field, std::string(spec::Name(c.op))};
    if (!c.value.empty()) triple.push_back(c.value);
    constraints.push_back(triple);
  }
  ResourceAsk total{m.task.cpus + m.executor.cpus, m.task.mem + m.executor.mem,
                    m.task.disk + m.executor.disk, m.task.gpus + m.executor.gpus};
  return {
      {"task", asks(m.task)}, {"executor", asks(m.executor)}, {"total_per_instance", asks(total)},
      {"ports", ports},       {"constraints", constraints},   {"roles", m.roles}};
}

// What the scheduler does with the instances (not sent to Mesos).
json Scheduling(const spec::Task& t) {
  json depends = json::array();
  for (const spec::Dependency& d : t.depends_on) {
    depends.push_back({{"task", d.task}, {"condition", std::string(spec::Name(d.condition))}});
  }
  const spec::Restart& r = t.restart;
  std::string policy = r.policy    ? std::string(spec::Name(*r.policy))
                       : t.service ? "always"
                                   : "on-failure";
  return {{"restart",
           {{"policy", policy},
            {"max_attempts", r.max_attempts},
            {"window", spec::FormatDuration(r.window)},
            {"backoff",
             {{"initial", spec::FormatDuration(r.backoff.initial)},
              {"factor", r.backoff.factor},
              {"max", spec::FormatDuration(r.backoff.max)}}},
            {"reset_after", spec::FormatDuration(r.reset_after)}}},
          {"staging_timeout", spec::FormatDuration(t.staging_timeout)},
          {"kill_grace_period", spec::FormatDuration(t.kill_grace_period)},
          {"kill_signal", t.kill_signal},
          {"depends_on", depends}};
}

}  // namespace

std::string PlanJson(const Plan& plan) {
  json out = {{"framework_info", ToJson(plan.framework)},
              {"executor", plan.executor_source},
              {"tasks", json::array()}};
  for (const TaskPlan& task : plan.tasks) {
    json infos = json::array();
    for (int64_t i = 0; i < task.instances; ++i) infos.push_back(Instance(task, i));
    out["tasks"].push_back({{"name", task.name},
                            {"instances", task.instances},
                            {"offer_match", Match(task.match)},
                            {"scheduling", Scheduling(task.spec)},
                            {"task_infos", infos}});
  }
  return JsonText(out, 2) + "\n";
}

}  // namespace mlaunch

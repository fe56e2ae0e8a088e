#include "launcher/instantiate.h"

#include <optional>

#include "launcher/spec/interpolate.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;

// The value of one placeholder for this instance, if it has one.
std::optional<std::string> Lookup(const std::string& name, const InstanceLaunch& launch,
                                  const InstanceContext& context) {
  if (name == "host") return launch.agent.hostname;
  if (name == "instance") return std::to_string(launch.instance.index);
  if (name == "task_id") return context.task_id;
  if (name == "framework_id") return context.framework_id;
  if (name.rfind("ports.", 0) == 0) {
    auto it = launch.ports.find(name.substr(6));
    if (it != launch.ports.end()) return std::to_string(it->second);
    return std::nullopt;
  }
  if (name.rfind("tasks.", 0) == 0) {
    // tasks.NAME.host | tasks.NAME.ports.PORT | tasks.NAME.addr.PORT
    std::string rest = name.substr(6);
    size_t dot = rest.find('.');
    if (dot == std::string::npos) return std::nullopt;
    auto task = context.tasks.find(rest.substr(0, dot));
    if (task == context.tasks.end()) return std::nullopt;
    std::string what = rest.substr(dot + 1);
    if (what == "host") return task->second.host;
    for (const char* kind : {"ports.", "addr."}) {
      if (what.rfind(kind, 0) != 0) continue;
      auto port = task->second.ports.find(what.substr(5));
      if (port == task->second.ports.end()) return std::nullopt;
      std::string number = std::to_string(port->second);
      return std::string(kind) == "addr." ? task->second.host + ":" + number : number;
    }
  }
  return std::nullopt;
}

}  // namespace

v1::TaskInfo Instantiate(const TaskPlan& task, const InstanceLaunch& launch,
                         const InstanceContext& context) {
  auto fill = [&](const std::string& text) {
    return spec::Substitute(text,
                            [&](const std::string& name) { return Lookup(name, launch, context); });
  };
  auto port_of = [&](const std::string& name) -> uint32_t {
    auto it = launch.ports.find(name);
    return it == launch.ports.end() ? 0 : it->second;
  };
  // The port the task's own processes use: inside its container when the
  // container maps ports, else the host's.
  auto inside_port_of = [&](const std::string& name) -> uint32_t {
    for (const TaskPlan::PortMap& m : task.port_maps) {
      if (m.name == name && m.container_port != 0) return m.container_port;
    }
    return port_of(name);
  };

  v1::TaskInfo info = task.task_info;
  info.mutable_task_id()->set_value(context.task_id);
  info.mutable_agent_id()->set_value(launch.agent.agent_id);
  info.clear_resources();
  for (const v1::Resource& r : launch.task_resources) *info.add_resources() = r;

  v1::ExecutorInfo* executor = info.mutable_executor();
  executor->mutable_executor_id()->set_value(context.task_id);
  executor->clear_resources();
  for (const v1::Resource& r : launch.executor_resources) *executor->add_resources() = r;
  for (v1::Environment::Variable& v :
       *executor->mutable_command()->mutable_environment()->mutable_variables()) {
    if (v.type() == v1::Environment::Variable::SECRET) {
      auto secret = context.secrets.find(v.name());
      if (secret != context.secrets.end()) {
        v.mutable_secret()->mutable_value()->set_data(secret->second);
      }
    } else {
      v.set_value(fill(v.value()));
    }
  }

  if (info.has_health_check()) {
    v1::HealthCheck* h = info.mutable_health_check();
    if (h->has_http()) h->mutable_http()->set_port(inside_port_of(task.health_port));
    if (h->has_tcp()) h->mutable_tcp()->set_port(inside_port_of(task.health_port));
    if (h->has_command()) h->mutable_command()->set_value(fill(h->command().value()));
  }
  if (info.has_discovery() && info.discovery().has_ports()) {
    for (v1::Port& p : *info.mutable_discovery()->mutable_ports()->mutable_ports()) {
      p.set_number(port_of(p.name()));
    }
  }

  if (!task.port_maps.empty()) {
    v1::ContainerInfo* container = executor->mutable_container();
    auto fill_mappings = [&](auto* mappings) {
      for (int i = 0; i < mappings->size() && i < static_cast<int>(task.port_maps.size()); ++i) {
        auto& m = *mappings->Mutable(i);
        m.set_host_port(port_of(task.port_maps[i].name));
        m.set_container_port(inside_port_of(task.port_maps[i].name));
      }
    };
    if (container->has_docker())
      fill_mappings(container->mutable_docker()->mutable_port_mappings());
    for (v1::NetworkInfo& n : *container->mutable_network_infos()) {
      fill_mappings(n.mutable_port_mappings());
    }
  }

  ServiceConfig service = task.service;
  service.set_instance(static_cast<uint32_t>(launch.instance.index));
  for (ServiceConfig::Port& p : *service.mutable_ports()) p.set_number(inside_port_of(p.name()));
  if (service.has_http() && service.http().has_body()) {
    service.mutable_http()->set_body(fill(service.http().body()));
  }
  if (service.has_command()) {
    ServiceConfig::Command* c = service.mutable_command();
    if (c->has_shell()) c->set_shell(fill(c->shell()));
    for (std::string& arg : *c->mutable_args()) arg = fill(arg);
  }
  info.set_data(service.SerializeAsString());
  return info;
}

}  // namespace mlaunch

#include "executor/task_service.h"

namespace mlaunch::executor {

namespace {

ServiceConfig CommandTaskService(const mesos::v1::TaskInfo& task) {
  const mesos::v1::CommandInfo& info = task.command();
  ServiceConfig service;
  service.set_task_name(task.name());
  ServiceConfig::Command* command = service.mutable_command();
  if (!info.has_shell() || info.shell()) {
    command->set_shell(info.value());
  } else {
    command->set_executable(info.value());
    if (info.arguments_size() == 0) {
      command->add_args(info.value());
    } else {
      command->mutable_args()->CopyFrom(info.arguments());
    }
  }
  for (const mesos::v1::Resource& resource : task.resources()) {
    if (resource.has_allocation_info() && resource.allocation_info().has_role()) {
      auto* role = command->add_environment();
      role->set_name("MESOS_ALLOCATION_ROLE");
      role->set_value(resource.allocation_info().role());
      break;
    }
  }
  for (const auto& variable : info.environment().variables()) {
    std::string value;
    if (variable.type() == mesos::v1::Environment::Variable::SECRET) {
      if (!variable.secret().has_value()) continue;
      value = variable.secret().value().data();
    } else {
      value = variable.value();
    }
    auto* set = command->add_environment();
    set->set_name(variable.name());
    set->set_value(value);
  }
  return service;
}

}  // namespace

std::optional<ServiceConfig> ServiceForTask(const mesos::v1::TaskInfo& task) {
  ServiceConfig service;
  if (task.has_data() && service.ParseFromString(task.data()) &&
      (service.has_http() || service.has_command())) {
    return service;
  }
  if (task.has_command()) return CommandTaskService(task);
  return std::nullopt;
}

}  // namespace mlaunch::executor

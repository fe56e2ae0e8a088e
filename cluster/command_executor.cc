#include "cluster/command_executor.h"

namespace mlaunch::cluster {

namespace {

// Mesos shortens the command in the name: its first 12 characters and
// "..." when it is longer than 15.
std::string Shortened(const std::string& text) {
  return text.size() > 15 ? text.substr(0, 12) + "..." : text;
}

mesos::v1::Resource Scalar(const std::string& name, double value, const mesos::v1::Resource* like) {
  mesos::v1::Resource resource;
  resource.set_name(name);
  resource.set_type(mesos::v1::Value::SCALAR);
  resource.mutable_scalar()->set_value(value);
  if (like != nullptr) {
    if (like->has_role()) resource.set_role(like->role());
    if (like->has_allocation_info()) *resource.mutable_allocation_info() = like->allocation_info();
  }
  return resource;
}

}  // namespace

std::string CommandExecutorName(const mesos::v1::TaskInfo& task) {
  const mesos::v1::CommandInfo& command = task.command();
  std::string name = "Command Executor (Task: " + task.task_id().value() + ") ";
  if (!command.has_shell() || command.shell()) {
    if (!command.has_value()) return name + "(Command: NO COMMAND)";
    return name + "(Command: sh -c '" + Shortened(command.value()) + "')";
  }
  if (!command.has_value()) return name + "(Command: NO EXECUTABLE)";
  std::string argv = command.value();
  for (const std::string& argument : command.arguments()) argv += ", " + argument;
  return name + "(Command: [" + Shortened(argv) + "])";
}

mesos::v1::ExecutorInfo CommandExecutorInfo(const mesos::v1::TaskInfo& task,
                                            const mesos::v1::FrameworkID& framework_id,
                                            const std::string& executable) {
  mesos::v1::ExecutorInfo info;
  info.mutable_executor_id()->set_value(task.task_id().value());
  *info.mutable_framework_id() = framework_id;
  info.set_name(CommandExecutorName(task));
  info.set_source(task.task_id().value());
  mesos::v1::CommandInfo* command = info.mutable_command();
  command->set_shell(false);
  command->set_value(executable);
  command->add_arguments(kCommandExecutorName);
  *command->mutable_uris() = task.command().uris();
  if (task.command().has_environment()) {
    *command->mutable_environment() = task.command().environment();
  }
  if (task.command().has_user()) command->set_user(task.command().user());
  const mesos::v1::Resource* like = nullptr;
  for (const mesos::v1::Resource& resource : task.resources()) {
    if (resource.has_allocation_info() || resource.has_role()) {
      like = &resource;
      break;
    }
  }
  *info.add_resources() = Scalar("cpus", kCommandExecutorCpus, like);
  *info.add_resources() = Scalar("mem", kCommandExecutorMem, like);
  return info;
}

}  // namespace mlaunch::cluster

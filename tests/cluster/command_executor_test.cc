// The command executor an agent synthesizes for a command task
// (cluster/command_executor.h), as Mesos' agent makes it.
#include "cluster/command_executor.h"

#include "gtest/gtest.h"

namespace mlaunch::cluster {
namespace {

mesos::v1::TaskInfo Task(const std::string& id, mesos::v1::CommandInfo command) {
  mesos::v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_agent_id()->set_value("S0");
  *task.mutable_command() = std::move(command);
  return task;
}

mesos::v1::CommandInfo Shell(const std::string& value) {
  mesos::v1::CommandInfo command;
  command.set_value(value);
  return command;
}

TEST(CommandExecutorName, ShortensTheCommandToTwelveCharactersWhenLongerThanFifteen) {
  EXPECT_EQ(CommandExecutorName(Task("t1", Shell("sleep 1000"))),
            "Command Executor (Task: t1) (Command: sh -c 'sleep 1000')");
  EXPECT_EQ(CommandExecutorName(Task("t1", Shell("123456789012345"))),
            "Command Executor (Task: t1) (Command: sh -c '123456789012345')");
  EXPECT_EQ(CommandExecutorName(Task("t1", Shell("1234567890123456"))),
            "Command Executor (Task: t1) (Command: sh -c '123456789012...')");
  mesos::v1::CommandInfo argv;
  argv.set_shell(false);
  argv.set_value("/bin/echo");
  argv.add_arguments("echo");
  argv.add_arguments("hi");
  EXPECT_EQ(CommandExecutorName(Task("t2", argv)),
            "Command Executor (Task: t2) (Command: [/bin/echo, e...])");
}

TEST(CommandExecutorInfo, IsTheTaskIdsWithItsUrisEnvironmentAndTheAllowance) {
  mesos::v1::CommandInfo command = Shell("./run.sh");
  command.add_uris()->set_value("http://example.invalid/app.tgz");
  auto* variable = command.mutable_environment()->add_variables();
  variable->set_name("GREETING");
  variable->set_value("hello");
  command.set_user("alice");
  mesos::v1::TaskInfo task = Task("web-1", command);
  mesos::v1::Resource* cpus = task.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(1);
  cpus->set_role("*");
  cpus->mutable_allocation_info()->set_role("web");
  mesos::v1::FrameworkID framework;
  framework.set_value("F1");

  const mesos::v1::ExecutorInfo info =
      CommandExecutorInfo(task, framework, "/opt/bin/mesos-launch-executor");
  EXPECT_EQ(info.executor_id().value(), "web-1");
  EXPECT_EQ(info.framework_id().value(), "F1");
  EXPECT_EQ(info.source(), "web-1");
  EXPECT_EQ(info.name(), "Command Executor (Task: web-1) (Command: sh -c './run.sh')");
  EXPECT_FALSE(info.command().shell());
  EXPECT_EQ(info.command().value(), "/opt/bin/mesos-launch-executor");
  ASSERT_EQ(info.command().arguments_size(), 1);
  EXPECT_EQ(info.command().arguments(0), "mesos-launch-executor");
  ASSERT_EQ(info.command().uris_size(), 1);
  EXPECT_EQ(info.command().uris(0).value(), "http://example.invalid/app.tgz");
  ASSERT_EQ(info.command().environment().variables_size(), 1);
  EXPECT_EQ(info.command().environment().variables(0).name(), "GREETING");
  EXPECT_EQ(info.command().user(), "alice");
  ASSERT_EQ(info.resources_size(), 2);
  EXPECT_EQ(info.resources(0).name(), "cpus");
  EXPECT_DOUBLE_EQ(info.resources(0).scalar().value(), 0.1);
  EXPECT_EQ(info.resources(1).name(), "mem");
  EXPECT_DOUBLE_EQ(info.resources(1).scalar().value(), 32);
  for (const auto& resource : info.resources()) {
    EXPECT_EQ(resource.type(), mesos::v1::Value::SCALAR);
    EXPECT_EQ(resource.role(), "*");
    EXPECT_EQ(resource.allocation_info().role(), "web");
  }
}

}  // namespace
}  // namespace mlaunch::cluster

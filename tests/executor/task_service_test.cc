// What a launched TaskInfo runs (executor/task_service.h): mesos-launch's
// ServiceConfig from TaskInfo.data first, else the task's CommandInfo as
// Mesos' command executor runs it.
#include "executor/task_service.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace mlaunch::executor {
namespace {

namespace v1 = mesos::v1;

v1::TaskInfo Task() {
  v1::TaskInfo task;
  task.set_name("t");
  task.mutable_task_id()->set_value("t1");
  task.mutable_agent_id()->set_value("a1");
  return task;
}

TEST(ServiceForTask, ShellCommandIsTheDefault) {
  v1::TaskInfo task = Task();
  task.mutable_command()->set_value("echo hi");
  auto service = ServiceForTask(task);
  ASSERT_TRUE(service);
  ASSERT_TRUE(service->has_command());
  EXPECT_EQ(service->command().shell(), "echo hi");
  EXPECT_TRUE(service->command().executable().empty());
}

TEST(ServiceForTask, NonShellCommandExecsValueWithArgumentsAsArgv) {
  v1::TaskInfo task = Task();
  v1::CommandInfo* command = task.mutable_command();
  command->set_shell(false);
  command->set_value("/bin/echo");
  command->add_arguments("echo-as-argv0");
  command->add_arguments("hello");
  auto service = ServiceForTask(task);
  ASSERT_TRUE(service);
  EXPECT_TRUE(service->command().shell().empty());
  EXPECT_EQ(service->command().executable(), "/bin/echo");
  ASSERT_EQ(service->command().args_size(), 2);
  EXPECT_EQ(service->command().args(0), "echo-as-argv0");
  EXPECT_EQ(service->command().args(1), "hello");

  command->clear_arguments();  // no arguments: the value is argv[0]
  service = ServiceForTask(task);
  ASSERT_EQ(service->command().args_size(), 1);
  EXPECT_EQ(service->command().args(0), "/bin/echo");
}

TEST(ServiceForTask, EnvironmentAndAllocationRoleAreSetForTheCommand) {
  v1::TaskInfo task = Task();
  task.mutable_command()->set_value("env");
  auto* plain = task.mutable_command()->mutable_environment()->add_variables();
  plain->set_name("GREETING");
  plain->set_value("hello");
  auto* secret = task.mutable_command()->mutable_environment()->add_variables();
  secret->set_name("TOKEN");
  secret->set_type(v1::Environment::Variable::SECRET);
  secret->mutable_secret()->set_type(v1::Secret::VALUE);
  secret->mutable_secret()->mutable_value()->set_data("s3cret");
  v1::Resource* cpus = task.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(0.5);
  cpus->mutable_allocation_info()->set_role("web");
  auto service = ServiceForTask(task);
  ASSERT_TRUE(service);
  std::map<std::string, std::string> env;
  for (const auto& v : service->command().environment()) env[v.name()] = v.value();
  EXPECT_EQ(env,
            (std::map<std::string, std::string>{
                {"GREETING", "hello"}, {"TOKEN", "s3cret"}, {"MESOS_ALLOCATION_ROLE", "web"}}));
}

TEST(ServiceForTask, MesosLaunchDataWinsOverTheCommand) {
  v1::TaskInfo task = Task();
  task.mutable_command()->set_value("false");
  ServiceConfig config;
  config.mutable_http()->set_body("hi");
  task.set_data(config.SerializeAsString());
  auto service = ServiceForTask(task);
  ASSERT_TRUE(service);
  EXPECT_TRUE(service->has_http());
}

TEST(ServiceForTask, NeitherDataNorCommandIsNothing) {
  v1::TaskInfo task = Task();
  task.set_data("not a service configuration \xff");
  EXPECT_FALSE(ServiceForTask(task));
}

}  // namespace
}  // namespace mlaunch::executor

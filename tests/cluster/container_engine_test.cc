#include "cluster/container_engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mlaunch::cluster {
namespace {

using mesos::v1::ContainerInfo;

ContainerRun MesosRun(const std::string& image) {
  ContainerRun run;
  run.name = "mesos-launch-c1";
  run.label = "io.mesos-launch.work-dir=/w";
  run.info.set_type(ContainerInfo::MESOS);
  run.info.mutable_mesos()->mutable_image()->set_type(mesos::v1::Image::DOCKER);
  run.info.mutable_mesos()->mutable_image()->mutable_docker()->set_name(image);
  run.command.set_shell(false);
  run.command.set_value("/opt/bin/mesos-launch-executor");
  run.command.add_arguments("/opt/bin/mesos-launch-executor");
  run.sandbox = "/w/sandbox";
  return run;
}

bool Has(const std::vector<std::string>& args, const std::string& arg) {
  return std::find(args.begin(), args.end(), arg) != args.end();
}

TEST(ContainerPlan, AnImageRunsTheExecutorWithTheSandboxLimitsAndEnvironmentByName) {
  ContainerRun run = MesosRun("localhost/team/web:1");
  run.cpus = 0.55;
  run.mem_mb = 160;
  run.env_names = {"MESOS_AGENT_ENDPOINT", "MESOS_EXECUTOR_AUTHENTICATION_TOKEN"};
  run.host_files = {"/opt/bin/mesos-launch-executor"};
  auto plan = ContainerPlan(run);
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->image, "localhost/team/web:1");
  const std::vector<std::string>& a = plan->arguments;
  EXPECT_EQ(a.front(), "run");
  for (const char* expected :
       {"--rm", "--pull=never", "--network=host", "--cpus=0.55", "--memory=160m",
        "--env=MESOS_AGENT_ENDPOINT", "--env=MESOS_EXECUTOR_AUTHENTICATION_TOKEN",
        "--volume=/opt/bin/mesos-launch-executor:/opt/bin/mesos-launch-executor:ro",
        "--entrypoint=/opt/bin/mesos-launch-executor"}) {
    EXPECT_TRUE(Has(a, expected)) << expected;
  }
  EXPECT_TRUE(Has(a, "/w/sandbox:/mnt/mesos/sandbox"));
  // Names only: values (a token, a secret) never reach the command line.
  for (const std::string& arg : a) {
    if (arg.rfind("--env=", 0) == 0) {
      EXPECT_EQ(arg.find('=', 6), std::string::npos) << arg;
    }
  }
  // The image comes last but for the command's own arguments.
  EXPECT_EQ(a.back(), "localhost/team/web:1");
  auto name = std::find(a.begin(), a.end(), "--name");
  ASSERT_NE(name, a.end());
  EXPECT_EQ(*(name + 1), "mesos-launch-c1");
}

TEST(ContainerPlan, AShellCommandRunsUnderTheImagesShell) {
  ContainerRun run = MesosRun("busybox");
  run.command.Clear();
  run.command.set_shell(true);
  run.command.set_value("exec httpd -f -p 80");
  auto plan = ContainerPlan(run);
  ASSERT_TRUE(plan.ok()) << plan.message();
  const std::vector<std::string>& a = plan->arguments;
  ASSERT_GE(a.size(), 4u);
  EXPECT_EQ(a[a.size() - 4], "--entrypoint=/bin/sh");
  EXPECT_EQ(a[a.size() - 3], "busybox");
  EXPECT_EQ(a[a.size() - 2], "-c");
  EXPECT_EQ(a[a.size() - 1], "exec httpd -f -p 80");
}

TEST(ContainerPlan, VolumesComeFromTheHostOrTheSandbox) {
  ContainerRun run = MesosRun("busybox");
  auto* host = run.info.add_volumes();
  host->set_container_path("/etc/web");
  host->set_host_path("/srv/web");
  host->set_mode(mesos::v1::Volume::RO);
  auto* sandbox = run.info.add_volumes();
  sandbox->set_container_path("/cache");
  sandbox->set_mode(mesos::v1::Volume::RW);
  sandbox->mutable_source()->set_type(mesos::v1::Volume::Source::SANDBOX_PATH);
  sandbox->mutable_source()->mutable_sandbox_path()->set_type(
      mesos::v1::Volume::Source::SandboxPath::SELF);
  sandbox->mutable_source()->mutable_sandbox_path()->set_path("cache");
  auto* relative = run.info.add_volumes();  // Docker's form of a sandbox path
  relative->set_container_path("/site");
  relative->set_host_path("site");
  relative->set_mode(mesos::v1::Volume::RO);
  auto plan = ContainerPlan(run);
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_TRUE(Has(plan->arguments, "--volume=/srv/web:/etc/web:ro"));
  EXPECT_TRUE(Has(plan->arguments, "--volume=/w/sandbox/cache:/cache:rw"));
  EXPECT_TRUE(Has(plan->arguments, "--volume=/w/sandbox/site:/site:ro"));
}

TEST(ContainerPlan, DockersHostNetworkRunsAsMesosContainerizersDoes) {
  ContainerRun run = MesosRun("busybox");
  run.info.Clear();
  run.info.set_type(ContainerInfo::DOCKER);
  run.info.mutable_docker()->set_image("nginx:1.25");
  auto plan = ContainerPlan(run);
  ASSERT_TRUE(plan.ok()) << plan.message();
  EXPECT_EQ(plan->image, "nginx:1.25");
  EXPECT_TRUE(Has(plan->arguments, "--network=host"));
}

TEST(ContainerPlan, WhatThisAgentCannotRunIsAnErrorSayingWhat) {
  struct Case {
    const char* what;
    void (*change)(ContainerInfo&);
    const char* says;
  };
  const Case cases[] = {
      {"a pull", [](ContainerInfo& c) { c.mutable_mesos()->mutable_image()->set_cached(false); },
       "no registry access"},
      {"a CNI network", [](ContainerInfo& c) { c.add_network_infos()->set_name("overlay"); },
       "CNI network"},
      {"an APPC image",
       [](ContainerInfo& c) {
         c.mutable_mesos()->mutable_image()->set_type(mesos::v1::Image::APPC);
       },
       "only Docker images"},
      {"no image", [](ContainerInfo& c) { c.clear_mesos(); }, "without an image"},
      {"DOCKER without DockerInfo", [](ContainerInfo& c) { c.set_type(ContainerInfo::DOCKER); },
       "needs ContainerInfo.docker"},
      {"Docker's bridge",
       [](ContainerInfo& c) {
         c.set_type(ContainerInfo::DOCKER);
         c.mutable_docker()->set_image("x");
         c.mutable_docker()->set_network(ContainerInfo::DockerInfo::BRIDGE);
       },
       "listens on loopback"},
      {"a privileged container",
       [](ContainerInfo& c) {
         c.set_type(ContainerInfo::DOCKER);
         c.mutable_docker()->set_image("x");
         c.mutable_docker()->set_privileged(true);
       },
       "privileged"},
      {"docker run options",
       [](ContainerInfo& c) {
         c.set_type(ContainerInfo::DOCKER);
         c.mutable_docker()->set_image("x");
         c.mutable_docker()->add_parameters()->set_key("cap-add");
       },
       "parameters"},
      {"a forced pull",
       [](ContainerInfo& c) {
         c.set_type(ContainerInfo::DOCKER);
         c.mutable_docker()->set_image("x");
         c.mutable_docker()->set_force_pull_image(true);
       },
       "no registry access"},
      {"a parent's sandbox",
       [](ContainerInfo& c) {
         auto* v = c.add_volumes();
         v->set_container_path("/p");
         v->set_mode(mesos::v1::Volume::RO);
         v->mutable_source()->set_type(mesos::v1::Volume::Source::SANDBOX_PATH);
         v->mutable_source()->mutable_sandbox_path()->set_type(
             mesos::v1::Volume::Source::SandboxPath::PARENT);
         v->mutable_source()->mutable_sandbox_path()->set_path("p");
       },
       "volume /p"},
  };
  for (const Case& c : cases) {
    ContainerRun run = MesosRun("busybox");
    c.change(run.info);
    auto plan = ContainerPlan(run);
    ASSERT_FALSE(plan.ok()) << c.what;
    EXPECT_NE(plan.message().find("this agent cannot run the container: "), std::string::npos)
        << c.what << ": " << plan.message();
    EXPECT_NE(plan.message().find(c.says), std::string::npos) << c.what << ": " << plan.message();
  }
}

TEST(ContainerEngine, WithoutPodmanOnThePathItSaysWhatToInstall) {
  auto engine = ContainerEngine::Find("/nonexistent:/also-not", "/tmp", "l=1");
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.message(),
            "this agent runs container images with podman and runc, and podman is not "
            "installed (Debian: apt-get install podman runc)");
}

// A stand-in for podman: a script in a fresh directory.
class FakePodman : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-fake-podman-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Script(const std::string& body) {
    const std::string path = (dir_ / "podman").string();
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(FakePodman, AnImageItDoesNotHaveIsNamedWithHowToPutItThere) {
  ContainerEngine engine(Script("exit 1"), (dir_ / "containers.conf").string(), "l=1");
  Status has = engine.HasImage("localhost/app:1");
  ASSERT_FALSE(has.ok());
  EXPECT_EQ(has.message(),
            "image localhost/app:1 is not in podman's local store, and this agent "
            "has no registry access: put it there first (podman load -i ARCHIVE, "
            "or podman import)");
  ContainerEngine broken(Script("echo 'storage is locked' >&2; exit 125"),
                         (dir_ / "containers.conf").string(), "l=1");
  EXPECT_EQ(broken.HasImage("localhost/app:1").message(),
            "podman cannot look up image localhost/app:1: storage is locked");
}

TEST_F(FakePodman, AnArchiveItCannotLoadIsNamedWithPodmansReason) {
  ContainerEngine engine(Script("echo 'Error: payload does not match any of the supported image "
                                "formats' >&2; exit 125"),
                         (dir_ / "containers.conf").string(), "l=1");
  Status loaded = engine.Load("/sandbox/site.tar");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.message(),
            "podman cannot load the image archive /sandbox/site.tar: Error: "
            "payload does not match any of the supported image formats");
}

// A podman call that hangs is killed at the engine's limit and counts as
// failed; the agent's lock is not held for ever.
TEST_F(FakePodman, ACallThatHangsIsKilledAtTheLimit) {
  const std::filesystem::path started = dir_ / "started";
  ContainerEngine engine(Script("touch '" + started.string() + "'; exec sleep 600"),
                         (dir_ / "containers.conf").string(), "l=1",
                         std::chrono::milliseconds(200));
  Status has = engine.HasImage("localhost/app:1");
  ASSERT_FALSE(has.ok());
  EXPECT_TRUE(std::filesystem::exists(started));
  EXPECT_NE(has.message().find("ran out of time"), std::string::npos) << has.message();
  EXPECT_TRUE(engine.List().empty());
  EXPECT_EQ(engine.InitPid("c1"), std::nullopt);
}

TEST_F(FakePodman, FindWritesTheContainersConfItsCallsRead) {
  Script("exit 0");
  auto engine = ContainerEngine::Find("/nonexistent:" + dir_.string(), dir_.string(), "l=1");
  ASSERT_TRUE(engine.ok()) << engine.message();
  std::ifstream conf(dir_ / "containers.conf");
  std::stringstream text;
  text << conf.rdbuf();
  EXPECT_NE(text.str().find("default_ulimits = []"), std::string::npos);
  EXPECT_NE(text.str().find("runtime = \"runc\""), std::string::npos);
  EXPECT_EQ(engine->Environment({{"A", "1"}}).at("CONTAINERS_CONF"),
            (dir_ / "containers.conf").string());
}

}  // namespace
}  // namespace mlaunch::cluster

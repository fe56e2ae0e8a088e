#include "launcher/compile.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/sha256.h"
#include "launcher/plan_json.h"
#include "launcher/spec/load.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;

Plan CompileText(const std::string& text, const Inputs& inputs = {}) {
  spec::LoadResult r = spec::Load(text, "specs/t.yaml");
  EXPECT_TRUE(r.diagnostics.ok());
  for (const Diagnostic& d : r.diagnostics.Sorted()) ADD_FAILURE() << Render(d);
  return Compile(r.spec, inputs, {"alice"});
}

double Scalar(const google::protobuf::RepeatedPtrField<v1::Resource>& rs, const std::string& n) {
  for (const v1::Resource& r : rs) {
    if (r.name() == n) return r.scalar().value();
  }
  return -1;
}

std::string Env(const v1::TaskInfo& t, const std::string& name) {
  for (const auto& v : t.executor().command().environment().variables()) {
    if (v.name() == name) return v.value();
  }
  return "<unset>";
}

TEST(Compile, WebserverBecomesAFrameworkAndATaskInfo) {
  Plan plan = CompileText(R"(version: 1
framework: {name: demo, roles: [web], principal: ops}
tasks:
  - name: web
    instances: 2
    resources: {cpus: 0.5, mem: 128, disk: 16MiB}
    ports: [{name: http}, {name: admin, static: 9090}]
    constraints: [[hostname, UNIQUE]]
    service: {payload: Hello from Server}
    kill_grace_period: 3s
    labels: {app: web}
    health_check: {type: http, interval: 5s, timeout: 1s}
)");
  const v1::FrameworkInfo& f = plan.framework;
  EXPECT_EQ(f.user(), "alice");
  EXPECT_EQ(f.name(), "demo");
  EXPECT_EQ(f.principal(), "ops");
  EXPECT_DOUBLE_EQ(f.failover_timeout(), 3600);
  EXPECT_EQ(f.roles_size(), 1);
  // MULTI_ROLE frameworks use roles only; the deprecated `role` (6) stays unset.
  EXPECT_TRUE(f.GetReflection()->GetUnknownFields(f).empty());
  EXPECT_FALSE(f.GetReflection()->HasField(f, f.GetDescriptor()->FindFieldByName("role")));
  EXPECT_EQ(f.capabilities(0).type(), v1::FrameworkInfo::Capability::MULTI_ROLE);

  ASSERT_EQ(plan.tasks.size(), 1u);
  const TaskPlan& t = plan.tasks[0];
  EXPECT_EQ(t.instances, 2);
  EXPECT_DOUBLE_EQ(t.match.task.cpus, 0.5);
  EXPECT_DOUBLE_EQ(t.match.executor.cpus, 0.05);
  EXPECT_EQ(t.match.roles, std::vector<std::string>{"web"});
  ASSERT_EQ(t.match.ports.size(), 2u);
  EXPECT_FALSE(t.match.ports[0].static_port);
  EXPECT_EQ(t.match.ports[1].static_port, 9090u);

  const v1::TaskInfo& info = t.task_info;
  EXPECT_EQ(info.name(), "web");
  EXPECT_DOUBLE_EQ(Scalar(info.resources(), "cpus"), 0.5);
  EXPECT_DOUBLE_EQ(Scalar(info.resources(), "mem"), 128);
  EXPECT_DOUBLE_EQ(Scalar(info.resources(), "disk"), 16);
  EXPECT_DOUBLE_EQ(Scalar(info.resources(), "gpus"), -1);  // zero asks are left out
  EXPECT_EQ(info.kill_policy().grace_period().nanoseconds(), 3'000'000'000);
  EXPECT_EQ(info.labels().labels(0).key(), "app");
  EXPECT_FALSE(info.has_command());  // exactly one of executor and command
  EXPECT_EQ(info.executor().type(), v1::ExecutorInfo::CUSTOM);
  EXPECT_EQ(info.executor().command().value(), "mesos-launch-executor");
  EXPECT_FALSE(info.executor().command().shell());
  EXPECT_DOUBLE_EQ(Scalar(info.executor().resources(), "mem"), 32);
  EXPECT_EQ(Env(info, "PORT0"), "${ports.http}");
  EXPECT_EQ(Env(info, "PORT_ADMIN"), "${ports.admin}");
  EXPECT_EQ(Env(info, "PORTS"), "${ports.http},${ports.admin}");
  EXPECT_EQ(Env(info, "HOST"), "${host}");
  EXPECT_EQ(Env(info, "MESOS_LAUNCH_ADDR_HTTP"), "${host}:${ports.http}");

  EXPECT_EQ(info.health_check().type(), v1::HealthCheck::HTTP);
  EXPECT_DOUBLE_EQ(info.health_check().interval_seconds(), 5);
  EXPECT_EQ(info.health_check().http().path(), "/health");
  EXPECT_EQ(t.health_port, "http");

  ASSERT_TRUE(t.service.has_http());
  EXPECT_EQ(t.service.http().body(), "Hello from Server");
  EXPECT_EQ(t.service.http().port_name(), "http");
  EXPECT_EQ(t.service.ports(1).number(), 9090u);
}

TEST(Compile, ArtifactsExtractOnlyArchivesAndKeepQueriesOutOfNames) {
  Plan plan = CompileText(R"(version: 1
tasks:
  - name: site
    ports: [http]
    service: {root: site}
    artifacts:
      - {uri: "http://127.0.0.1/site.tar.gz?token=1", checksum: "sha256:)" +
                          std::string(64, 'a') + R"("}
      - {uri: "http://127.0.0.1/config.json"}
      - {uri: "http://127.0.0.1/blob", extract: true, output_file: b.tgz, cache: true}
    executor: {uri: "http://127.0.0.1/mesos-launch-executor"}
)");
  const auto& uris = plan.tasks[0].task_info.executor().command().uris();
  ASSERT_EQ(uris.size(), 4);
  EXPECT_EQ(uris[0].value(), "http://127.0.0.1/mesos-launch-executor");
  EXPECT_TRUE(uris[0].executable());
  EXPECT_FALSE(uris[0].extract());
  // Checksummed: fetched whole, checked and extracted by the executor.
  EXPECT_FALSE(uris[1].extract());
  EXPECT_EQ(uris[1].output_file(), "site.tar.gz");
  EXPECT_FALSE(uris[2].extract());
  EXPECT_TRUE(uris[2].has_extract());  // false must be sent: Mesos' default is true
  EXPECT_TRUE(uris[3].extract());
  EXPECT_TRUE(uris[3].cache());
  EXPECT_EQ(plan.tasks[0].task_info.executor().command().value(), "./mesos-launch-executor");
  ASSERT_EQ(plan.tasks[0].service.checksums_size(), 1);
  EXPECT_EQ(plan.tasks[0].service.checksums(0).file(), "site.tar.gz");
  EXPECT_EQ(plan.tasks[0].service.checksums(0).sha256(), std::string(64, 'a'));
  EXPECT_TRUE(plan.tasks[0].service.checksums(0).extract());
}

TEST(Compile, TasksWithoutAnExecutorUriGetTheDefaultOne) {
  spec::LoadResult r = spec::Load(R"(version: 1
tasks:
  - {name: a, command: x}
  - {name: b, command: x, executor: {uri: "http://127.0.0.1/own-executor"}}
)",
                                  "t.yaml");
  ASSERT_TRUE(r.diagnostics.ok());
  Plan plan = Compile(
      r.spec, {}, {"u", {ExecutorDelivery::Source::kUri, "file:///opt/bin/mesos-launch-executor"}});
  const v1::CommandInfo& a = plan.tasks[0].task_info.executor().command();
  ASSERT_EQ(a.uris_size(), 1);
  EXPECT_EQ(a.uris(0).value(), "file:///opt/bin/mesos-launch-executor");
  EXPECT_TRUE(a.uris(0).executable());
  EXPECT_EQ(a.value(), "./mesos-launch-executor");
  const v1::CommandInfo& b = plan.tasks[1].task_info.executor().command();
  EXPECT_EQ(b.uris(0).value(), "http://127.0.0.1/own-executor");
  EXPECT_FALSE(b.uris(0).has_output_file());
  EXPECT_EQ(b.value(), "./own-executor");
}

const std::string kSha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

Plan CompileWith(const std::string& text, ExecutorDelivery delivery) {
  spec::LoadResult r = spec::Load(text, "specs/t.yaml");
  for (const Diagnostic& d : r.diagnostics.Sorted()) ADD_FAILURE() << Render(d);
  return Compile(r.spec, {}, {"alice", std::move(delivery)});
}

TEST(Compile, AServedExecutorIsCachedCheckedByTheAgentAndCountedInTheDisk) {
  ExecutorDelivery served{ExecutorDelivery::Source::kServed,
                          "http://10.0.0.1:4000/executor/" + kSha + "/mesos-launch-executor", "",
                          kSha, 9 * 1024 * 1024 + 1};
  Plan plan = CompileWith("version: 1\ntasks:\n  - {name: a, command: x}\n", served);
  const TaskPlan& task = plan.tasks[0];
  const v1::CommandInfo& command = task.task_info.executor().command();
  ASSERT_EQ(command.uris_size(), 1);
  EXPECT_EQ(command.uris(0).value(), served.uri);
  EXPECT_TRUE(command.uris(0).cache());
  EXPECT_TRUE(command.uris(0).executable());
  EXPECT_FALSE(command.uris(0).extract());
  EXPECT_TRUE(command.shell());
  EXPECT_EQ(command.value(),
            VerifyThenExec("mesos-launch-executor", kSha, "./mesos-launch-executor"));
  EXPECT_EQ(task.executor_sha256, kSha);
  EXPECT_EQ(task.service.checksums_size(), 0);  // the executor checks no file of its own
  // 9 MiB and a byte: 10 MB on top of the spec's 0.
  EXPECT_DOUBLE_EQ(Scalar(task.task_info.executor().resources(), "disk"), 10);
  EXPECT_DOUBLE_EQ(task.match.executor.disk, 10);
  EXPECT_NE(plan.executor_source.find("served by mesos-launch at " + served.uri),
            std::string::npos);
}

TEST(Compile, TheSpecsExecutorChecksumIsCheckedByTheAgentNotByTheExecutor) {
  Plan plan = CompileWith(R"(version: 1
tasks:
  - name: a
    command: x
    executor: {uri: "http://127.0.0.1/own-executor", checksum: "sha256:)" +
                              kSha + R"("}
)",
                          {ExecutorDelivery::Source::kAgentPath});
  const v1::CommandInfo& command = plan.tasks[0].task_info.executor().command();
  EXPECT_FALSE(command.uris(0).cache());  // a URI may change; only served ones are immutable
  EXPECT_TRUE(command.shell());
  EXPECT_EQ(command.value(), VerifyThenExec("own-executor", kSha, "./own-executor"));
  EXPECT_EQ(plan.tasks[0].service.checksums_size(), 0);
  EXPECT_DOUBLE_EQ(Scalar(plan.tasks[0].task_info.executor().resources(), "disk"), -1);
}

TEST(Compile, AnUncheckedOrInPlaceExecutorRunsWithoutAShell) {
  Plan in_place =
      CompileWith("version: 1\ntasks:\n  - {name: a, command: x}\n",
                  {ExecutorDelivery::Source::kInPlace, "", "/opt/ml/mesos-launch-executor"});
  const v1::CommandInfo& command = in_place.tasks[0].task_info.executor().command();
  EXPECT_FALSE(command.shell());
  EXPECT_EQ(command.uris_size(), 0);
  EXPECT_EQ(command.value(), "/opt/ml/mesos-launch-executor");
  Plan unchecked = CompileWith("version: 1\ntasks:\n  - {name: a, command: x}\n",
                               {ExecutorDelivery::Source::kUri, "http://h/mesos-launch-executor"});
  EXPECT_FALSE(unchecked.tasks[0].task_info.executor().command().shell());
  EXPECT_EQ(unchecked.tasks[0].executor_sha256, "");
  EXPECT_NE(unchecked.executor_source.find("not verified"), std::string::npos);
}

// The check itself, run by a real shell with the real sha256sum, as an agent
// would: a match runs the program, a mismatch names both digests, exits
// kExecutorChecksumExit and runs nothing.
class VerifyThenExecInAShell : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-verify-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    // A file name a shell would split and expand, unless quoted well.
    std::ofstream(dir_ / "it's $x") << "#!/bin/sh\necho \"ran $want\" > ran-marker\n";
    std::filesystem::permissions(dir_ / "it's $x", std::filesystem::perms::owner_all);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `env` is put before the shell, as the agent's environment would be.
  int Run(const std::string& sha256, const std::string& env = "want=mine") {
    const std::string command = VerifyThenExec("it's $x", sha256, "./it's $x");
    std::ofstream(dir_ / "command.sh") << command;
    int status = std::system(
        ("cd '" + dir_.string() + "' && env " + env + " /bin/sh command.sh 2>stderr").c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::filesystem::path dir_;
};

TEST_F(VerifyThenExecInAShell, TheRightDigestRunsTheProgram) {
  Result<std::string> digest = Sha256OfFile((dir_ / "it's $x").string());
  ASSERT_TRUE(digest.ok()) << digest.message();
  EXPECT_EQ(Run(digest.value()), 0) << Read("stderr");
  // The task's environment is left as it was (a `want` of its own too).
  EXPECT_EQ(Read("ran-marker"), "ran mine\n");
}

TEST_F(VerifyThenExecInAShell, AnotherDigestIsNamedAndNothingRuns) {
  Result<std::string> digest = Sha256OfFile((dir_ / "it's $x").string());
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(Run(kSha), kExecutorChecksumExit);
  EXPECT_EQ(Read("stderr"),
            "executor checksum mismatch (expected " + kSha + ", got " + digest.value() + ")\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ran-marker"));
}

TEST_F(VerifyThenExecInAShell, AnAgentWithoutSha256sumRunsNothingAndSaysSo) {
  EXPECT_EQ(Run(kSha, "PATH=/nonexistent"), kExecutorChecksumExit);
  EXPECT_EQ(Read("stderr"), "executor checksum cannot be checked: this agent has no sha256sum\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "ran-marker"));
}

TEST_F(VerifyThenExecInAShell, AMissingFileIsAMismatchToo) {
  std::filesystem::remove(dir_ / "it's $x");
  EXPECT_EQ(Run(kSha), kExecutorChecksumExit);
  EXPECT_EQ(Read("stderr"),
            "executor checksum mismatch (expected " + kSha + ", got no readable file)\n");
}

// The Mesos fetcher keeps a query in the file name: the executor is fetched
// to the name it is started by.
TEST(Compile, ExecutorUriWithAQueryIsFetchedToItsBareName) {
  Plan plan = CompileText(R"(version: 1
tasks:
  - {name: a, command: x, executor: {uri: "http://127.0.0.1/dl/own-executor?v=2"}}
)");
  const v1::CommandInfo& command = plan.tasks[0].task_info.executor().command();
  ASSERT_EQ(command.uris_size(), 1);
  EXPECT_EQ(command.uris(0).value(), "http://127.0.0.1/dl/own-executor?v=2");
  EXPECT_EQ(command.uris(0).output_file(), "own-executor");
  EXPECT_EQ(command.value(), "./own-executor");
}

TEST(Compile, SecretsNeverEnterThePlan) {
  Inputs inputs;
  inputs.files["plain.txt"] = "visible";
  inputs.variables["REGION"] = "eu";
  Plan plan = CompileText(R"(version: 1
tasks:
  - name: app
    command: run
    env:
      PLAIN: {from_file: plain.txt}
      REGION_NAME: {from_env: REGION}
      DB_PASSWORD: {from_file: secret.txt, secret: true}
)",
                          inputs);
  const v1::TaskInfo& info = plan.tasks[0].task_info;
  EXPECT_EQ(Env(info, "PLAIN"), "visible");
  EXPECT_EQ(Env(info, "REGION_NAME"), "eu");
  bool found = false;
  for (const auto& v : info.executor().command().environment().variables()) {
    if (v.name() != "DB_PASSWORD") continue;
    found = true;
    EXPECT_EQ(v.type(), v1::Environment::Variable::SECRET);
    EXPECT_EQ(v.secret().value().data(), "${secret.DB_PASSWORD}");
  }
  EXPECT_TRUE(found);
  std::string json = PlanJson(plan);
  EXPECT_NE(json.find("<redacted>"), std::string::npos);
  EXPECT_EQ(json.find("secret.DB_PASSWORD"), std::string::npos);
}

TEST(PlanJson, ShowsCpusMemAndAPortsRangePerInstance) {
  Plan plan = CompileText(R"(version: 1
tasks:
  - name: webserver
    instances: 2
    resources: {cpus: 0.5, mem: 128}
    ports: [http]
    service: {payload: "Hello from Server ${instance}"}
)");
  std::string json = PlanJson(plan);
  EXPECT_NE(json.find("\"value\": \"webserver.1.${uuid}\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"begin\": \"${ports.http}\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"value\": 0.5"), std::string::npos) << json;
  EXPECT_NE(json.find("\"value\": 128"), std::string::npos) << json;
  EXPECT_NE(json.find("\"body\": \"Hello from Server 1\""), std::string::npos) << json;
}

TEST(PlanJson, ShowsTheSchedulingPolicyWithDefaultsMerged) {
  Plan plan = CompileText(R"(version: 1
defaults:
  restart: {max_attempts: 3, backoff: {max: 1m}}
tasks:
  - {name: job, command: "true", depends_on: [{task: web, condition: healthy}]}
  - {name: web, ports: [http], service: {payload: hi}, health_check: {type: tcp}}
)");
  nlohmann::json j = nlohmann::json::parse(PlanJson(plan));
  const auto& job = j["tasks"][0]["scheduling"];
  EXPECT_EQ(job["restart"]["policy"], "on-failure");  // commands default to on-failure
  EXPECT_EQ(job["restart"]["max_attempts"], 3);
  EXPECT_EQ(job["restart"]["backoff"]["max"], "1m");
  EXPECT_EQ(job["depends_on"][0]["condition"], "healthy");
  EXPECT_EQ(j["tasks"][1]["scheduling"]["restart"]["policy"], "always");  // services: always
  // A task with ports publishes them even without `discovery:`.
  const auto& discovery = j["tasks"][1]["task_infos"][0]["discovery"];
  EXPECT_EQ(discovery["visibility"], "FRAMEWORK");
  EXPECT_EQ(discovery["ports"]["ports"][0]["name"], "http");
  EXPECT_EQ(discovery["ports"]["ports"][0]["number"], "${ports.http}");
}

}  // namespace
}  // namespace mlaunch

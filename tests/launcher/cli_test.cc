#include "launcher/cli.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/build_info.h"
#include "common/sha256.h"
#include "launcher/run.h"
#include "tests/fakes/fake_world.h"

namespace mlaunch {
namespace {

World Files(std::map<std::string, std::string> files) { return FakeWorld(std::move(files)); }

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun Cli(std::vector<const char*> args, const World& world) {
  args.insert(args.begin(), "mesos-launch");
  std::ostringstream out, err;
  int code = RunCli(static_cast<int>(args.size()), args.data(), world, out, err);
  return {code, out.str(), err.str()};
}

const std::string kGood =
    "version: 1\ntasks:\n  - {name: web, ports: [http], service: {payload: hi}}\n";
const std::string kBad = "version: 1\ntasks:\n  - {name: web, cpu: 1, command: x}\n";

TEST(NamedMaster, TheFlagWinsThenMesosMasterThenTheSpec) {
  spec::Spec spec;
  spec.master = "spec-master:5050";
  World none = FakeWorld({});
  World env = FakeWorld({}, {{"MESOS_MASTER", "env-master:5050"}});
  World empty_env = FakeWorld({}, {{"MESOS_MASTER", ""}});
  EXPECT_EQ(NamedMaster("", spec, none), "spec-master:5050");
  EXPECT_EQ(NamedMaster("", spec, env), "env-master:5050");
  EXPECT_EQ(NamedMaster("", spec, empty_env), "spec-master:5050");  // set but empty
  EXPECT_EQ(NamedMaster("flag-master:5050", spec, env), "flag-master:5050");
  spec.master.clear();
  EXPECT_EQ(NamedMaster("", spec, none), "");  // the embedded cluster
}

TEST(Cli, CheckValidSpecExitsZeroQuietly) {
  CliRun r = Cli({"--check", "good.yaml"}, Files({{"good.yaml", kGood}}));
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

// Diagnostics are for people, on stderr, as a compiler's are; stdout
// carries only --output json.
TEST(Cli, CheckInvalidSpecExitsOneWithCompilerStyleOutput) {
  CliRun r =
      Cli({"--check", "good.yaml", "bad.yaml"}, Files({{"good.yaml", kGood}, {"bad.yaml", kBad}}));
  EXPECT_EQ(r.code, kExitInvalidSpec);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(
      r.err,
      "bad.yaml:3:17: error: tasks[web].cpu: unknown key 'cpu'; did you mean 'resources.cpus'?\n"
      "    - {name: web, cpu: 1, command: x}\n"
      "                  ^\n"
      "1 error\n");
}

TEST(Cli, CheckJsonOutputHasOneRecordPerProblem) {
  CliRun r = Cli({"--check", "--output", "json", "bad.yaml"}, Files({{"bad.yaml", kBad}}));
  EXPECT_EQ(r.code, kExitInvalidSpec);
  EXPECT_EQ(r.err, "");
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["valid"]);
  ASSERT_EQ(j["diagnostics"].size(), 1u);
  const auto& d = j["diagnostics"][0];
  EXPECT_EQ(d["file"], "bad.yaml");
  EXPECT_EQ(d["line"], 3);
  EXPECT_EQ(d["column"], 17);
  EXPECT_EQ(d["path"], "tasks[web].cpu");
  EXPECT_EQ(d["severity"], "error");
  EXPECT_EQ(d["hint"], "did you mean 'resources.cpus'?");
}

// Issue #17, item 8: bytes that are not UTF-8 in a spec, or in a value it
// reads, are errors at their position, and the JSON printed stays JSON.
TEST(Cli, BytesThatAreNotUtf8AreErrorsWhereTheyAreAndJsonStaysJson) {
  const std::string spec =
      "version: 1\ntasks:\n  - name: \"a\xc0\xaf"
      "b\"\n    command: x\n";
  CliRun json = Cli({"--check", "--output", "json", "u.yaml"}, Files({{"u.yaml", spec}}));
  EXPECT_EQ(json.code, kExitInvalidSpec);
  const nlohmann::json j = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << json.out;
  ASSERT_EQ(j["diagnostics"].size(), 1u);
  EXPECT_EQ(j["diagnostics"][0]["line"], 3);
  EXPECT_EQ(j["diagnostics"][0]["column"], 13);
  EXPECT_NE(j["diagnostics"][0]["message"].get<std::string>().find("byte 0xC0 is not UTF-8"),
            std::string::npos);
  EXPECT_EQ(Cli({"--plan", "u.yaml"}, Files({{"u.yaml", spec}})).code, kExitInvalidSpec);

  const std::string reads =
      "version: 1\ntasks:\n  - name: a\n    command: x\n"
      "    env: {K: {from_file: k.txt}, V: {from_env: V}}\n";
  World world = FakeWorld({{"r.yaml", reads}, {"k.txt", "ok\xff\n"}}, {{"V", "\xe0\x80\x80"}});
  CliRun read = Cli({"--check", "r.yaml"}, world);
  EXPECT_EQ(read.code, kExitInvalidSpec);
  EXPECT_NE(read.err.find("tasks[a].env.K.from_file: 'k.txt' is not UTF-8 text (byte 2)"),
            std::string::npos)
      << read.err;
  EXPECT_NE(read.err.find("tasks[a].env.V.from_env: the value of 'V' is not UTF-8 text (byte 0)"),
            std::string::npos)
      << read.err;
}

TEST(Cli, StrictMakesWarningsFail) {
  std::string warn = "version: 1\nframework: {user: root}\ntasks: [{name: a, command: x}]\n";
  EXPECT_EQ(Cli({"--check", "w.yaml"}, Files({{"w.yaml", warn}})).code, kExitOk);
  EXPECT_EQ(Cli({"--check", "--strict", "w.yaml"}, Files({{"w.yaml", warn}})).code,
            kExitInvalidSpec);
  EXPECT_EQ(Cli({"--plan", "w.yaml"}, Files({{"w.yaml", warn}})).code, kExitOk);
  CliRun strict_plan = Cli({"--plan", "--strict", "w.yaml"}, Files({{"w.yaml", warn}}));
  EXPECT_EQ(strict_plan.code, kExitInvalidSpec);
  EXPECT_EQ(strict_plan.out, "");
}

TEST(Cli, UnreadableFileIsAnInvalidSpec) {
  CliRun r = Cli({"--check", "missing.yaml"}, Files({}));
  EXPECT_EQ(r.code, kExitInvalidSpec);
  EXPECT_EQ(r.err,
            "missing.yaml: error: cannot read the file: No such file or directory\n1 error\n");
}

TEST(Cli, MissingBodyFileIsReportedAtItsKey) {
  std::string spec =
      "version: 1\ntasks:\n  - name: web\n    ports: [http]\n    service: {body_file: "
      "index.html}\n";
  CliRun r = Cli({"--check", "specs/s.yaml"}, Files({{"specs/s.yaml", spec}}));
  EXPECT_EQ(r.code, kExitInvalidSpec);
  EXPECT_NE(r.err.find("specs/s.yaml:5:26: error: tasks[web].service.body_file: cannot read "
                       "'specs/index.html': No such file or directory"),
            std::string::npos)
      << r.err;
}

TEST(Cli, MasterThatDoesNotParseIsReportedAtItsKey) {
  std::string spec = "version: 1\nmaster: \"::not a url\"\ntasks: [{name: a, command: x}]\n";
  CliRun r = Cli({"--check", "m.yaml"}, Files({{"m.yaml", spec}}));
  EXPECT_EQ(r.code, kExitInvalidSpec);
  EXPECT_EQ(r.err.rfind("m.yaml:2:9: error: master: ", 0), 0u) << r.err;
  for (const char* good : {"127.0.0.1:5050", "https://m1:5050,m2:5050", "zk://z1:2181/mesos"}) {
    std::string ok =
        "version: 1\nmaster: \"" + std::string(good) + "\"\ntasks: [{name: a, command: x}]\n";
    EXPECT_EQ(Cli({"--check", "m.yaml"}, Files({{"m.yaml", ok}})).code, kExitOk) << good;
  }
}

TEST(Cli, MasterFileThatCannotBeReadHereIsOnlyAWarning) {
  std::string spec =
      "version: 1\nmaster: file:///etc/mesos/master\ntasks: [{name: a, command: x}]\n";
  CliRun r = Cli({"--check", "m.yaml"}, Files({{"m.yaml", spec}}));
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.err.rfind("m.yaml:2:9: warning: master: ", 0), 0u) << r.err;
  CliRun bad =
      Cli({"--check", "m.yaml"}, Files({{"m.yaml", spec}, {"/etc/mesos/master", "nonsense here"}}));
  EXPECT_EQ(bad.code, kExitInvalidSpec) << bad.err;
}

TEST(Cli, PlanPrintsJsonAndRefusesInvalidSpecs) {
  CliRun good = Cli({"--plan", "good.yaml"}, Files({{"good.yaml", kGood}}));
  EXPECT_EQ(good.code, kExitOk) << good.err;
  nlohmann::json plan = nlohmann::json::parse(good.out);
  EXPECT_EQ(plan["tasks"][0]["task_infos"][0]["name"], "web");
  CliRun bad = Cli({"--plan", "bad.yaml"}, Files({{"bad.yaml", kBad}}));
  EXPECT_EQ(bad.code, kExitInvalidSpec);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("unknown key 'cpu'"), std::string::npos);
}

// --plan says where the executor comes from, as a run would decide it.
TEST(Cli, PlanShowsTheExecutorsSource) {
  World w = Files({{"good.yaml", kGood}});
  const std::string sha = Sha256Hex(kFakeExecutorBytes);
  auto executor = [&](std::vector<const char*> args) {
    CliRun run = Cli(args, w);
    EXPECT_EQ(run.code, kExitOk) << run.err;
    nlohmann::json plan = nlohmann::json::parse(run.out, nullptr, false);
    if (plan.is_discarded()) return std::make_pair(std::string(), nlohmann::json());
    return std::make_pair(plan["executor"].get<std::string>(),
                          plan["tasks"][0]["task_infos"][0]["executor"]["command"]);
  };
  auto [served, command] = executor({"--plan", "--master", "m:5050", "good.yaml"});
  const std::string url = "http://${mesos_launch}/executor/" + sha + "/mesos-launch-executor";
  EXPECT_EQ(served, "served by mesos-launch at " + url + ", verified by sha256");
  EXPECT_EQ(command["uris"][0]["value"], url);
  EXPECT_EQ(command["uris"][0]["cache"], true);
  EXPECT_EQ(command["shell"], true);
  EXPECT_NE(command["value"].get<std::string>().find("want=" + sha), std::string::npos);

  EXPECT_EQ(executor({"--plan", "good.yaml"}).first,
            std::string(kFakeExecutor) + ", run in place by the embedded cluster");
  EXPECT_EQ(executor({"--plan", "--master", "m:5050", "--executor-from-path", "good.yaml"}).first,
            "mesos-launch-executor from each agent's PATH");
  const std::string checksum = "sha256:" + std::string(64, 'b');
  auto [uri, uri_command] = executor({"--plan", "--master", "m:5050", "--executor-uri",
                                      "https://repo/x/mesos-launch-executor", "--executor-checksum",
                                      checksum.c_str(), "good.yaml"});
  EXPECT_EQ(uri, "fetched from https://repo/x/mesos-launch-executor, verified by sha256");
  EXPECT_NE(uri_command["value"].get<std::string>().find("want=" + std::string(64, 'b')),
            std::string::npos);
}

TEST(Cli, ExecutorFlagsThatDoNotFitAreUsageErrors) {
  World w = Files({{"good.yaml", kGood}});
  auto err = [&](std::vector<const char*> args) {
    CliRun run = Cli(args, w);
    EXPECT_EQ(run.code, kExitUsage) << run.out;
    return run.err;
  };
  EXPECT_NE(err({"--plan", "--executor-uri", "http://h/e", "--executor-from-path", "good.yaml"})
                .find("give --executor-uri or --executor-from-path, not both"),
            std::string::npos);
  const std::string checksum = "sha256:" + std::string(64, 'b');
  EXPECT_NE(
      err({"--plan", "--master", "m:5050", "--executor-checksum", checksum.c_str(), "good.yaml"})
          .find("--executor-checksum goes with --executor-uri"),
      std::string::npos);
  EXPECT_NE(
      err({"--plan", "--executor-uri", "http://h/e", "--executor-checksum", "md5:00", "good.yaml"})
          .find("--executor-checksum must be sha256:"),
      std::string::npos);
  EXPECT_NE(err({"--plan", "--advertise", "10.0.0.1", "good.yaml"})
                .find("--advertise is where agents fetch the executor mesos-launch serves"),
            std::string::npos);
  EXPECT_NE(err({"--plan", "--master", "m:5050", "--advertise", "10.0.0.1:99999", "good.yaml"})
                .find("--advertise '10.0.0.1:99999': the port must be"),
            std::string::npos);
  World bare = Files({{"good.yaml", kGood}});
  bare.executor = "";
  CliRun none = Cli({"--plan", "--master", "m:5050", "good.yaml"}, bare);
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_NE(none.err.find("no mesos-launch-executor beside this program to serve to the agents"),
            std::string::npos)
      << none.err;
}

// Issue #17, attack 7: files a spec names (body_file, from_file) are read
// only when they are regular files of bounded size; /dev/zero,
// /dev/urandom, a FIFO or a directory is an error at once (before, they
// exhausted memory or hung). Other reads (the spec, --secret-file) also take
// a pipe, as <(command) gives, but never more than the limit.
TEST(RealWorldFiles, OnlyRegularFilesOfBoundedSizeAreRead) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ml-realworld-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::ofstream(dir / "plain") << "value\n";
  {
    std::ofstream big(dir / "big");  // sparse: no disk used
  }
  std::filesystem::resize_file(dir / "big", static_cast<std::uintmax_t>(kMaxReadBytes) + 1);
  World world = RealWorld();
  std::string out;
  for (const auto& read : {world.read_file, world.read_regular_file}) {
    EXPECT_TRUE(read((dir / "plain").string(), out));
    EXPECT_EQ(out, "value\n");
    EXPECT_FALSE(read(dir.string(), out));
    EXPECT_EQ(out, "it is a directory, not a file");
    EXPECT_FALSE(read((dir / "big").string(), out));
    EXPECT_EQ(out, "it is larger than 64 MiB");
    EXPECT_FALSE(read((dir / "none").string(), out));
    EXPECT_EQ(out, "No such file or directory");
  }
  for (const std::string& path :
       {std::string("/dev/zero"), std::string("/dev/urandom"), (dir / "fifo").string()}) {
    EXPECT_FALSE(world.read_regular_file(path, out)) << path;
    EXPECT_EQ(out, "it is not a regular file (a device, FIFO or socket)") << path;
  }
  EXPECT_FALSE(world.read_file("/dev/zero", out));
  EXPECT_EQ(out, "it is larger than 64 MiB");
  EXPECT_TRUE(world.read_file((dir / "fifo").string(), out));  // nobody writes: empty
  EXPECT_EQ(out, "");
  // A pipe with a writer, as --secret-file <(command) gives.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    const std::string secret = "s3cret\n";
    EXPECT_EQ(::write(fds[1], secret.data(), secret.size()), static_cast<ssize_t>(secret.size()));
    ::close(fds[1]);
  });
  EXPECT_TRUE(world.read_file("/dev/fd/" + std::to_string(fds[0]), out)) << out;
  EXPECT_EQ(out, "s3cret\n");
  writer.join();
  ::close(fds[0]);
  std::filesystem::remove_all(dir);
}

TEST(Cli, SpecsBodyFilesAndEnvironmentFilesHaveSizeLimits) {
  const std::string spec =
      "version: 1\ntasks:\n  - name: web\n    ports: [http]\n    service: {body_file: big.html}\n"
      "    env: {KEY: {from_file: key.txt}}\n";
  CliRun run =
      Cli({"--check", "w.yaml"}, Files({{"w.yaml", spec},
                                        {"big.html", std::string(kMaxBodyFileBytes + 1, 'x')},
                                        {"key.txt", std::string(kMaxEnvFileBytes + 1, 'k')}}));
  EXPECT_EQ(run.code, kExitInvalidSpec);
  EXPECT_NE(run.err.find("w.yaml:5:26: error: tasks[web].service.body_file: 'big.html' is 8388609 "
                         "bytes; a body_file travels in every launch and may be at most 8 MiB"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("tasks[web].env.KEY.from_file: 'key.txt' is 65537 bytes; an environment "
                         "value may be at most 64 KiB"),
            std::string::npos)
      << run.err;

  CliRun huge = Cli({"--check", "h.yaml"},
                    Files({{"h.yaml", "version: 1\n#" + std::string(kMaxSpecBytes, 'x') + "\n"}}));
  EXPECT_EQ(huge.code, kExitInvalidSpec);
  EXPECT_NE(huge.err.find("h.yaml: error: the spec is 1048589 bytes; a spec may be at most 1 MiB"),
            std::string::npos)
      << huge.err;
}

TEST(Cli, UsageErrorsExit64) {
  World w = Files({{"good.yaml", kGood}});
  EXPECT_EQ(Cli({}, w).code, kExitUsage);
  EXPECT_EQ(Cli({"--bogus", "good.yaml"}, w).code, kExitUsage);
  EXPECT_EQ(Cli({"--check", "--plan", "good.yaml"}, w).code, kExitUsage);
  EXPECT_EQ(Cli({"--check", "--output", "xml", "good.yaml"}, w).code, kExitUsage);
  EXPECT_EQ(Cli({"--plan", "good.yaml", "good.yaml"}, w).code, kExitUsage);
}

TEST(Cli, HelpVersionAndSchema) {
  World w = Files({});
  CliRun help = Cli({"--help"}, w);
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_NE(help.out.find("--check"), std::string::npos);
  CliRun version = Cli({"--version"}, w);
  EXPECT_EQ(version.code, kExitOk);
  EXPECT_EQ(version.out, ThisBuild().VersionText("mesos-launch"));
  CliRun man = Cli({"--spec-reference=man"}, w);
  EXPECT_EQ(man.code, kExitOk);
  EXPECT_EQ(man.out.rfind(".TP\n", 0), 0u);
  CliRun bogus = Cli({"--spec-reference=html"}, w);
  EXPECT_EQ(bogus.code, kExitUsage);
  EXPECT_EQ(bogus.err,
            "mesos-launch: --spec-reference is markdown (the default) or man, not "
            "'html'\n");
  CliRun schema = Cli({"--schema"}, w);
  EXPECT_EQ(nlohmann::json::parse(schema.out)["title"], "mesos-launch spec, version 1");
}

}  // namespace
}  // namespace mlaunch

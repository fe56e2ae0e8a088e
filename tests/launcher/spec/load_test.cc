#include "launcher/spec/load.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "launcher/spec/fields.h"
#include "launcher/spec/interpolate.h"
#include "launcher/spec/reader.h"

namespace mlaunch::spec {
namespace {

std::string Messages(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics.Sorted()) out += Render(d);
  return out;
}

constexpr const char* kMinimal = R"(version: 1
tasks:
  - name: web
    ports: [http]
    service: {payload: hi}
)";

TEST(Load, MinimalSpecGetsTheDocumentedDefaults) {
  LoadResult r = Load(kMinimal, "specs/web.yaml");
  ASSERT_TRUE(r.diagnostics.ok()) << Messages(r);
  const Spec& s = r.spec;
  EXPECT_EQ(s.framework.name, "mesos-launch-web");
  EXPECT_EQ(s.framework.roles, std::vector<std::string>{"*"});
  EXPECT_EQ(s.framework.failover_timeout, Hours(1));
  EXPECT_TRUE(s.framework.checkpoint);
  ASSERT_EQ(s.tasks.size(), 1u);
  const Task& t = s.tasks[0];
  EXPECT_EQ(t.instances, 1);
  EXPECT_DOUBLE_EQ(t.resources.cpus, 0.1);
  EXPECT_DOUBLE_EQ(t.resources.mem.value, 32);
  EXPECT_EQ(t.kill_grace_period, Seconds(10));
  EXPECT_EQ(t.staging_timeout, Minutes(5));
  ASSERT_EQ(t.ports.size(), 1u);
  EXPECT_EQ(t.ports[0].name, "http");
  EXPECT_FALSE(t.ports[0].static_port);
  ASSERT_TRUE(t.service);
  EXPECT_EQ(t.service->payload, "hi");
  EXPECT_EQ(t.service->path, "/");
}

TEST(Load, DefaultsMergeKeyByKeyAndTasksWin) {
  LoadResult r = Load(R"(version: 1
defaults:
  resources: {cpus: 0.25, mem: 64}
  labels: {team: a, tier: web}
  constraints: [[hostname, UNIQUE]]
tasks:
  - name: one
    resources: {mem: 1GiB}
    labels: {tier: api}
    command: "true"
  - name: two
    constraints: []
    command: "true"
)",
                      "d.yaml");
  ASSERT_TRUE(r.diagnostics.ok()) << Messages(r);
  const Task& one = r.spec.tasks[0];
  EXPECT_DOUBLE_EQ(one.resources.cpus, 0.25);
  EXPECT_DOUBLE_EQ(one.resources.mem.value, 1024);
  EXPECT_EQ(one.labels, (Labels{{"team", "a"}, {"tier", "api"}}));
  EXPECT_EQ(one.constraints.size(), 1u);
  const Task& two = r.spec.tasks[1];
  EXPECT_DOUBLE_EQ(two.resources.mem.value, 64);
  EXPECT_TRUE(two.constraints.empty());  // lists are replaced whole
}

TEST(Load, AnErrorInDefaultsIsReportedOnceAtItsLine) {
  LoadResult r = Load(R"(version: 1
defaults:
  resources: {cpu: 1}
tasks:
  - {name: a, command: x}
  - {name: b, command: x}
)",
                      "d.yaml");
  EXPECT_EQ(Messages(r),
            "d.yaml:3:15: error: defaults.resources.cpu: unknown key 'cpu'; did you mean "
            "'cpus'?\n");
}

TEST(Load, ReportsEveryProblemInOnePass) {
  LoadResult r = Load(R"(version: 1
tasks:
  - name: web
    instances: many
    resources: {cpus: -1, memory: 64}
    command: run
    restart: {policy: sometimes}
    kill_grace_period: 10 sec
)",
                      "e.yaml");
  EXPECT_EQ(r.diagnostics.error_count(), 5) << Messages(r);
  std::string text = Messages(r);
  EXPECT_NE(text.find("e.yaml:4:16: error: tasks[web].instances: must be a whole number"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("e.yaml:5:23: error: tasks[web].resources.cpus: must be > 0 (got -1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("e.yaml:5:27: error: tasks[web].resources.memory: unknown key 'memory'; "
                      "did you mean 'mem'?"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("e.yaml:7:23: error: tasks[web].restart.policy: must be 'always', "
                      "'on-failure' or 'never' (got 'sometimes')"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("e.yaml:8:24: error: tasks[web].kill_grace_period: '10 sec' is not a "
                      "duration"),
            std::string::npos)
      << text;
}

TEST(Load, DuplicateKeysAreErrorsAtTheSecondKey) {
  LoadResult r = Load("version: 1\ntasks: []\nversion: 1\n", "dup.yaml");
  EXPECT_NE(Messages(r).find("dup.yaml:3:1: error: version: duplicate key 'version' (first at "
                             "line 1)"),
            std::string::npos)
      << Messages(r);
}

TEST(Load, YamlSyntaxErrorsUseTheSameFormat) {
  LoadResult r = Load("version: 1\ntasks: [a, b\n", "syn.yaml");
  ASSERT_EQ(r.diagnostics.error_count(), 1);
  EXPECT_EQ(r.diagnostics.Sorted()[0].message.rfind("YAML syntax: ", 0), 0u);
  EXPECT_TRUE(r.diagnostics.Sorted()[0].loc.known());
}

TEST(Load, QuotedNumbersAndBareWordsAreTypeErrors) {
  LoadResult r = Load(R"(version: 1
tasks:
  - name: web
    resources: {cpus: "0.5"}
    user: 1000
    command: x
)",
                      "t.yaml");
  std::string text = Messages(r);
  EXPECT_NE(
      text.find(
          "tasks[web].resources.cpus: is quoted text, not a number; write 0.5 without quotes"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("tasks[web].user: must be a string (got '1000'); quote it: \"1000\""),
            std::string::npos)
      << text;
}

TEST(Load, OddInputsNeverThrow) {
  std::string deep(5000, '[');
  for (const std::string& text :
       {std::string(), std::string("\0\xff\xfe", 3), std::string("- a\n- b\n"), deep,
        std::string("version: 1\ntasks:\n  - !!binary AAAA\n"), std::string("&a [*a]"),
        std::string("version: 1\ntasks: {a: 1}\n"), std::string("? [a]\n: b\n"),
        std::string("version: 1\n---\nversion: 1\n")}) {
    LoadResult r = Load(text, "odd.yaml");
    EXPECT_FALSE(r.diagnostics.ok()) << text.substr(0, 40);
  }
}

// yaml-cpp 0.7's LoadAll() loops forever on this input (found by the
// fuzzer); the loader must finish and report it.
TEST(Load, InputThatHungYamlCppLoadAllFinishes) {
  std::ifstream in(std::string(ML_SOURCE_DIR) + "/tests/data/specs/fuzz/loadall-loop.yaml");
  std::ostringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  LoadResult r = Load(text.str(), "loop.yaml");
  EXPECT_FALSE(r.diagnostics.ok());
}

TEST(IsName, AgreesWithTheNamePattern) {
  std::regex pattern{std::string(kNamePattern)};
  for (const std::string& text : std::vector<std::string>{
           "", "a", "web", "web-1", "a1", "1a", "-a", "a-", "Web", "web_1", "a--b", "w.eb", "é",
           std::string(63, 'a'), std::string(64, 'a'), "a" + std::string(61, '-') + "b",
           "a" + std::string(62, '-') + "b", "z9", "web server"}) {
    EXPECT_EQ(IsName(text), std::regex_search(text, pattern)) << text;
  }
}

TEST(IsEnvName, AgreesWithTheEnvNamePattern) {
  std::regex pattern{std::string(kEnvNamePattern)};
  for (const std::string& text : std::vector<std::string>{
           "", "A", "_", "PATH", "my_var1", "1A", "A-B", "A B", "a.b", "\xc3\xa9", "Z_9", "_1"}) {
    EXPECT_EQ(IsEnvName(text), std::regex_search(text, pattern)) << text;
  }
}

// Mappings of more than a handful of keys find duplicates by hashing; the
// message is the same as for small ones.
TEST(Load, DuplicateKeyInALargeMappingNamesTheFirstLine) {
  std::string text = "version: 1\ntasks:\n  - name: web\n    command: x\n    labels:\n";
  for (int i = 0; i < 40; ++i) text += "      k" + std::to_string(i) + ": v\n";
  text += "      k7: again\n";  // line 46; k7 is on line 13
  LoadResult r = Load(text, "big.yaml");
  EXPECT_EQ(r.diagnostics.error_count(), 1) << Messages(r);
  EXPECT_NE(Messages(r).find("big.yaml:46:7: error: tasks[web].labels.k7: duplicate key 'k7' "
                             "(first at line 13)"),
            std::string::npos)
      << Messages(r);
}

// Numbers are read as yaml-cpp reads them, whether the simple decimals read
// without it or the rest read through it (010 is octal, 0x10 hex).
TEST(Load, NumbersReadAsYamlCppReadsThem) {
  struct Case {
    const char* instances;
    int64_t want;
  };
  for (const Case& c : {Case{"3", 3}, Case{"0", 0}, Case{"010", 8}, Case{"0x10", 16}, Case{"+4", 4},
                        Case{"9999", 9999}, Case{"-0", 0}}) {
    LoadResult r =
        Load(std::string("version: 1\ntasks:\n  - name: web\n    command: x\n    instances: ") +
                 c.instances + "\n",
             "n.yaml");
    ASSERT_TRUE(r.diagnostics.ok()) << c.instances << ": " << Messages(r);
    EXPECT_EQ(r.spec.tasks[0].instances, c.want) << c.instances;
  }
  struct Real {
    const char* cpus;
    double want;
  };
  for (const Real& c : {Real{"0.5", 0.5}, Real{"2", 2}, Real{"0.1", 0.1}, Real{"1e-1", 0.1},
                        Real{".5", 0.5}, Real{"12.375", 12.375}}) {
    LoadResult r = Load(
        std::string("version: 1\ntasks:\n  - name: web\n    command: x\n    resources: {cpus: ") +
            c.cpus + "}\n",
        "n.yaml");
    ASSERT_TRUE(r.diagnostics.ok()) << c.cpus << ": " << Messages(r);
    EXPECT_EQ(r.spec.tasks[0].resources.cpus, c.want) << c.cpus;
  }
  LoadResult bad =
      Load("version: 1\ntasks:\n  - name: web\n    command: x\n    instances: 1.5\n", "n.yaml");
  EXPECT_NE(Messages(bad).find("tasks[web].instances: must be a whole number (got '1.5')"),
            std::string::npos)
      << Messages(bad);
}

TEST(Interpolate, FindsOnlyLowerCasePlaceholders) {
  auto found = FindPlaceholders("serve ${ports.http} at ${HOME}/x ${host} ${");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].name, "ports.http");
  EXPECT_EQ(found[1].name, "host");
  EXPECT_EQ(Substitute("a ${ports.http} ${HOME} ${host}",
                       [](const std::string& n) -> std::optional<std::string> {
                         if (n == "ports.http") return "31000";
                         return std::nullopt;
                       }),
            "a 31000 ${HOME} ${host}");
}

TEST(Interpolate, ChecksNamesAgainstTheSpec) {
  LoadResult r = Load(R"(version: 1
tasks:
  - name: db
    ports: [pg]
    command: "serve ${ports.pg} ${ports.http} ${hots}"
  - name: app
    command: "run ${tasks.db.addr.pg} ${tasks.db.addr.x}"
    env: {DB: "${tasks.db.host}", ME: "${tasks.app.host}"}
)",
                      "p.yaml");
  std::string text = Messages(r);
  EXPECT_NE(text.find("'${ports.http}': 'http' is not a declared port (declared: pg)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("'${hots}' is not a placeholder"), std::string::npos) << text;
  EXPECT_NE(text.find("'${tasks.db.addr.pg}' is only known once 'db' runs; add depends_on: [db]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("'x' is not a port of 'db' (declared: pg)"), std::string::npos) << text;
  EXPECT_NE(text.find("'${tasks.app.host}' names this task itself; write ${host}"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace mlaunch::spec

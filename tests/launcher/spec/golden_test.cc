// Golden tests: every tests/data/specs/bad/NAME.yaml, checked with
// `mesos-launch --check`, prints exactly NAME.expected, and (the bad-spec
// corpus of issue #8, at least 100 files) gives at least one diagnostic,
// every one positioned as FILE:LINE:COL; every spec under specs/, examples/
// and tests/data/specs/good/ checks clean; every tests/data/plans/NAME.yaml
// plans exactly NAME.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "launcher/cli.h"

namespace mlaunch {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> Yamls(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(fs::path(ML_SOURCE_DIR) / dir)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

int Check(const std::string& relative, std::string& out) {
  std::ostringstream o, e;
  const char* argv[] = {"mesos-launch", "--check", relative.c_str()};
  int code = RunCli(3, argv, RealWorld(), o, e);
  out = o.str() + e.str();
  return code;
}

TEST(Golden, EveryBadSpecPrintsItsExpectedDiagnostics) {
  fs::current_path(ML_SOURCE_DIR);
  std::vector<fs::path> bad = Yamls("tests/data/specs/bad");
  ASSERT_GE(bad.size(), 30u);
  for (const fs::path& yaml : bad) {
    std::string relative = fs::relative(yaml, ML_SOURCE_DIR).string();
    fs::path expected = yaml;
    expected.replace_extension(".expected");
    ASSERT_TRUE(fs::exists(expected)) << "missing " << expected;
    std::string out;
    int code = Check(relative, out);
    bool warning_only = yaml.filename().string().rfind("warn-", 0) == 0;
    EXPECT_EQ(code, warning_only ? 0 : 1) << relative;
    EXPECT_EQ(out, ReadAll(expected)) << relative;
  }
}

TEST(Golden, EveryBadSpecGivesOnlyPositionedDiagnostics) {
  fs::current_path(ML_SOURCE_DIR);
  std::vector<fs::path> bad = Yamls("tests/data/specs/bad");
  ASSERT_GE(bad.size(), 100u);
  for (const fs::path& yaml : bad) {
    const std::string relative = fs::relative(yaml, ML_SOURCE_DIR).string();
    std::string out;
    (void)Check(relative, out);
    // A diagnostic's first line: "FILE:LINE:COL: error: ..." (or warning);
    // the lines after it quote the source and point at the column.
    const std::regex positioned(
        "^" + std::regex_replace(relative, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
        ":[1-9][0-9]*:[1-9][0-9]*: (error|warning): .+");
    const std::regex unpositioned(".*(^|[^0-9]: )(error|warning): .*");
    int diagnostics = 0;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (std::regex_match(line, positioned)) {
        ++diagnostics;
      } else {
        EXPECT_FALSE(line.rfind(relative + ":", 0) == 0 || std::regex_match(line, unpositioned))
            << relative << ": a diagnostic without LINE:COL: " << line;
      }
    }
    EXPECT_GE(diagnostics, 1) << relative << " gave no positioned diagnostic:\n" << out;
  }
}

TEST(Golden, EveryShippedSpecChecksClean) {
  fs::current_path(ML_SOURCE_DIR);
  for (const char* dir : {"specs", "examples", "tests/data/specs/good"}) {
    std::vector<fs::path> specs = Yamls(dir);
    EXPECT_FALSE(specs.empty()) << dir;
    for (const fs::path& yaml : specs) {
      std::string relative = fs::relative(yaml, ML_SOURCE_DIR).string();
      std::string out;
      EXPECT_EQ(Check(relative, out), 0) << relative << "\n" << out;
      EXPECT_EQ(out, "") << relative;
    }
  }
}

// What --plan prints for every tests/data/plans/NAME.yaml is exactly
// NAME.json: the Mesos messages a real agent gets (scripts/regenerate.sh
// rewrites them; review the diff). The executor comes from a fixed URI so
// the plan does not depend on where this build is.
TEST(Golden, EveryPlanIsItsExpectedJson) {
  fs::current_path(ML_SOURCE_DIR);
  std::vector<fs::path> plans = Yamls("tests/data/plans");
  ASSERT_FALSE(plans.empty());
  for (const fs::path& yaml : plans) {
    const std::string relative = fs::relative(yaml, ML_SOURCE_DIR).string();
    fs::path expected = yaml;
    expected.replace_extension(".json");
    ASSERT_TRUE(fs::exists(expected)) << "missing " << expected;
    const std::string checksum = "sha256:" + std::string(64, 'a');
    const char* argv[] = {"mesos-launch",        "--plan",
                          "--executor-uri",      "https://repo.example/mesos-launch-executor",
                          "--executor-checksum", checksum.c_str(),
                          relative.c_str()};
    std::ostringstream out, err;
    EXPECT_EQ(RunCli(7, argv, RealWorld(), out, err), 0) << relative << "\n" << err.str();
    EXPECT_EQ(out.str(), ReadAll(expected)) << relative << ": run scripts/regenerate.sh";
  }
}

}  // namespace
}  // namespace mlaunch

// Framework authentication end to end (issue #8, security 1): a
// mesos-launch-cluster started with --credentials requires HTTP Basic
// authentication; mesos-launch sends framework.principal with the secret of
// --secret-file. The right secret runs the spec; a wrong one exits 2 with the
// master's 401. Whatever happens, the secret appears in no output of either
// program, in no process's argv, in --plan, and not in the failover state.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/child_process.h"

namespace mlaunch::testing {
namespace {

using std::chrono::seconds;

const std::string kBin = std::string(ML_BINARY_DIR) + "/bin/";
// Distinctive, so that finding it anywhere is a leak and nothing else.
const std::string kSecret = "s3cret-e2e-9d41f0c7";

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Everything under `dir`, concatenated.
std::string ReadTree(const std::filesystem::path& dir) {
  std::string all;
  std::error_code error;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, error)) {
    if (entry.is_regular_file()) all += ReadAll(entry.path());
  }
  return all;
}

// The NUL-separated argv of a live process.
std::string CommandLine(pid_t pid) { return ReadAll("/proc/" + std::to_string(pid) + "/cmdline"); }

class Credentials : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-credentials-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "credentials") << "alice " << kSecret << "\n";
    std::ofstream(dir_ / "secret") << kSecret << "\n";
    std::ofstream(dir_ / "wrong") << "not-" << kSecret << "\n";
    std::ofstream(dir_ / "spec.yaml") << R"(version: 1
framework: { principal: alice, failover_timeout: 1h }
tasks:
  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [http]
    service: { port: http, payload: "Hello" }
)";
    cluster_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        kBin + "mesos-launch-cluster", "--port", "0", "--agents", "1", "--work-dir",
        (dir_ / "cluster").string(), "--credentials", (dir_ / "credentials").string()});
    std::optional<std::string> line = cluster_->WaitForText("master listening on ", seconds(10));
    ASSERT_TRUE(line) << cluster_->output();
    url_ = line->substr(line->find("http://"));
  }
  void TearDown() override {
    cluster_.reset();
    std::filesystem::remove_all(dir_);
  }

  ChildProcess Launch(const std::string& secret_file) {
    return ChildProcess({kBin + "mesos-launch", "--master", url_, "--secret-file",
                         (dir_ / secret_file).string(), "--state-dir", (dir_ / "state").string(),
                         "--executor-uri", "file://" + kBin + "mesos-launch-executor", "--output",
                         "json", (dir_ / "spec.yaml").string()});
  }

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> cluster_;
  std::string url_;
};

TEST_F(Credentials, RightSecretRunsAndTheSecretAppearsNowhere) {
  ChildProcess launcher = Launch("secret");
  ASSERT_TRUE(launcher.WaitForText("serving", seconds(30))) << launcher.output();
  EXPECT_EQ(CommandLine(launcher.pid()).find(kSecret), std::string::npos);
  EXPECT_EQ(CommandLine(cluster_->pid()).find(kSecret), std::string::npos);
  // The failover state was written (the framework id), without the secret.
  const std::string state = ReadTree(dir_ / "state");
  EXPECT_NE(state.find("framework"), std::string::npos) << state;
  EXPECT_EQ(state.find(kSecret), std::string::npos) << state;
  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
  EXPECT_EQ(launcher.output().find(kSecret), std::string::npos) << launcher.output();

  ChildProcess plan({kBin + "mesos-launch", "--plan", (dir_ / "spec.yaml").string()});
  EXPECT_EQ(plan.WaitForExit(seconds(30)), 0) << plan.output();
  EXPECT_NE(plan.output().find("\"principal\": \"alice\""), std::string::npos) << plan.output();
  EXPECT_EQ(plan.output().find(kSecret), std::string::npos) << plan.output();

  cluster_->Signal(SIGTERM);
  EXPECT_EQ(cluster_->WaitForExit(seconds(30)), 0);
  EXPECT_EQ(cluster_->output().find(kSecret), std::string::npos) << cluster_->output();
}

TEST_F(Credentials, WrongSecretExits2WithTheMastersReason) {
  ChildProcess launcher = Launch("wrong");
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 2) << launcher.output();
  EXPECT_NE(launcher.output().find("401"), std::string::npos) << launcher.output();
  EXPECT_EQ(launcher.output().find("serving"), std::string::npos) << launcher.output();
  EXPECT_EQ(launcher.output().find(kSecret), std::string::npos) << launcher.output();
  cluster_->Signal(SIGTERM);
  EXPECT_EQ(cluster_->WaitForExit(seconds(30)), 0);
  EXPECT_EQ(cluster_->output().find(kSecret), std::string::npos) << cluster_->output();
}

}  // namespace
}  // namespace mlaunch::testing

// Issue #16's acceptance runs: mesos-launch against a separately started
// mesos-launch-cluster, standing for a remote cluster whose agents have
// nothing installed (their executors' PATH is the agent default, without
// build/bin). The agent fetches the executor from mesos-launch, checks its
// sha256 with sha256sum, and runs it; a second instance on the same agent
// comes from the agent's fetch cache. A tampered download is refused before
// it runs, and the run ends with the cause, both digests named.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/sha256.h"
#include "tests/e2e/child_process.h"
#include "tests/executor/http_get.h"

namespace mlaunch::testing {
namespace {

using std::chrono::seconds;

const std::string kBin = std::string(ML_BINARY_DIR) + "/bin/";

class ServedExecutor : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-served-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    cluster_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        kBin + "mesos-launch-cluster", "--port", "0", "--work-dir", (dir_ / "work").string(),
        "--agent-resources", "cpus:4;mem:4096;disk:4096;ports:[31000-31099]"});
    std::optional<std::string> line = cluster_->WaitForText("master listening on ", seconds(20));
    ASSERT_TRUE(line) << cluster_->output();
    master_ = line->substr(line->find("http://"));
  }
  void TearDown() override {
    if (cluster_) {
      cluster_->Signal(SIGTERM);
      EXPECT_EQ(cluster_->WaitForExit(seconds(30)), 0) << cluster_->output();
    }
    std::filesystem::remove_all(dir_);
  }

  // specs/webserver.yaml, with `instances` copies.
  std::string Webserver(int instances) {
    std::ifstream in(std::string(ML_SOURCE_DIR) + "/specs/webserver.yaml");
    std::stringstream text;
    text << in.rdbuf() << "    instances: " << instances << "\n";
    const std::string path = (dir_ / "webserver.yaml").string();
    std::ofstream(path) << text.str();
    return path;
  }

  // The executor's requests mesos-launch logged.
  static int Downloads(const std::string& output) {
    static const std::regex get(
        R"(executor: GET /executor/[0-9a-f]{64}/mesos-launch-executor from [^ ]+: 200)");
    return static_cast<int>(std::distance(std::sregex_iterator(output.begin(), output.end(), get),
                                          std::sregex_iterator()));
  }

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> cluster_;
  std::string master_;
};

TEST_F(ServedExecutor, AgentsWithNothingInstalledFetchCheckAndRunIt) {
  ChildProcess launcher({kBin + "mesos-launch", "--master", master_, "--state-dir",
                         (dir_ / "state").string(), Webserver(2)});
  std::vector<std::string> urls;
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> serving = launcher.WaitForText("serving http://", seconds(60));
    ASSERT_TRUE(serving) << launcher.output();
    urls.push_back(serving->substr(serving->find("http://")));
  }
  for (const std::string& url : urls) {
    static const std::regex parts(R"(http://([0-9.]+):([0-9]+)/)");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(url, m, parts)) << url;
    GetResponse response = HttpGet(static_cast<std::uint16_t>(std::stoi(m[2])), "/", m[1]);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "Hello from Server");
  }
  const std::string output = launcher.output();
  Result<std::string> sha256 = Sha256OfFile(kBin + "mesos-launch-executor");
  ASSERT_TRUE(sha256.ok());
  EXPECT_NE(output.find("executor: served by mesos-launch at http://127.0.0.1:"), std::string::npos)
      << output;
  EXPECT_NE(output.find("/executor/" + sha256.value() + "/mesos-launch-executor"),
            std::string::npos)
      << output;
  // Two executors, one download: the second came from the fetch cache.
  EXPECT_EQ(Downloads(output), 1) << output;

  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
}

TEST_F(ServedExecutor, ATamperedDownloadIsRefusedBeforeItRuns) {
  const std::filesystem::path marker = dir_ / "tampered-executor-ran";
  const std::filesystem::path tampered = dir_ / "tampered";
  std::ofstream(tampered) << "#!/bin/sh\ntouch '" << marker.string() << "'\n";
  std::filesystem::permissions(tampered, std::filesystem::perms::owner_all);
  ::setenv("MESOS_LAUNCH_TEST_TAMPERED_EXECUTOR", tampered.c_str(), 1);
  ChildProcess launcher({kBin + "mesos-launch", "--master", master_, "--state-dir",
                         (dir_ / "state").string(), Webserver(1)});
  ::unsetenv("MESOS_LAUNCH_TEST_TAMPERED_EXECUTOR");

  EXPECT_EQ(launcher.WaitForExit(seconds(60)), 4) << launcher.output();
  Result<std::string> sha256 = Sha256OfFile(kBin + "mesos-launch-executor");
  ASSERT_TRUE(sha256.ok());
  // The digest the agent found, read from its /files/read.
  Result<std::string> found = Sha256OfFile(tampered.string());
  ASSERT_TRUE(found.ok());
  EXPECT_NE(launcher.output().find("webserver.0  FAILED (executor checksum mismatch (expected " +
                                   sha256.value() + ", got " + found.value() + "))"),
            std::string::npos)
      << launcher.output();
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the tampered executor ran";
}

}  // namespace
}  // namespace mlaunch::testing

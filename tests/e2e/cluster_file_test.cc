// mesos-launch-cluster --cluster-file: agents that differ, as the master
// shows them; a bad file stops the program with the positioned problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/curl_http_client.h"
#include "tests/e2e/child_process.h"

namespace mlaunch::testing {
namespace {

using std::chrono::seconds;

const std::string kCluster = std::string(ML_BINARY_DIR) + "/bin/mesos-launch-cluster";

class ClusterFileRun : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-cluster-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& text) {
    const std::string path = (dir_ / "cluster.yaml").string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ClusterFileRun, TheMasterShowsEachAgentAsTheFileDescribesIt) {
  const std::string file = Write(R"(agents:
  - resources: "cpus:2;mem:2048;ports:[31000-31099]"
    attributes: "rack:r1"
  - count: 2
    resources: "cpus:1;mem:512;ports:[32000-32099]"
    attributes: "rack:r2"
)");
  ChildProcess cluster(
      {kCluster, "--port", "0", "--cluster-file", file, "--work-dir", (dir_ / "work").string()});
  std::optional<std::string> line = cluster.WaitForText("master listening on ", seconds(20));
  ASSERT_TRUE(line) << cluster.output();
  const std::string url = line->substr(line->find("http://"));

  CurlHttpClient http;
  auto state = http.Get(url + "/master/state", {}, {});
  ASSERT_TRUE(state.ok()) << state.message();
  ASSERT_EQ(state->status, 200);
  nlohmann::json json = nlohmann::json::parse(state->body);
  ASSERT_EQ(json["slaves"].size(), 3u) << state->body;
  std::map<std::string, std::pair<double, std::string>> agents;  // hostname -> cpus, rack
  for (const auto& agent : json["slaves"]) {
    agents[agent["hostname"]] = {agent["resources"]["cpus"].get<double>(),
                                 agent["attributes"]["rack"].get<std::string>()};
  }
  EXPECT_EQ(agents["127.0.0.2"], std::make_pair(2.0, std::string("r1")));
  EXPECT_EQ(agents["127.0.0.3"], std::make_pair(1.0, std::string("r2")));
  EXPECT_EQ(agents["127.0.0.4"], std::make_pair(1.0, std::string("r2")));

  cluster.Signal(SIGTERM);
  EXPECT_EQ(cluster.WaitForExit(seconds(20)), 0) << cluster.output();
}

TEST_F(ClusterFileRun, ABadFileIsAUsageErrorAtItsPosition) {
  const std::string file = Write("agents:\n  - resources: \"cpus:2\"\n    ram: 3\n");
  ChildProcess cluster({kCluster, "--port", "0", "--cluster-file", file});
  EXPECT_EQ(cluster.WaitForExit(seconds(20)), 64);
  EXPECT_NE(cluster.output().find(file + ":3:5: unknown key `ram`"), std::string::npos)
      << cluster.output();
}

TEST_F(ClusterFileRun, TheFileAndTheAgentFlagsDoNotMix) {
  const std::string file = Write("agents:\n  - {}\n");
  ChildProcess cluster({kCluster, "--port", "0", "--cluster-file", file, "--agents", "2"});
  EXPECT_EQ(cluster.WaitForExit(seconds(20)), 64);
  EXPECT_NE(cluster.output().find("not both"), std::string::npos) << cluster.output();
}

// A bad flag value stops the program at once (exit 64), naming the flag and
// what it accepts.
TEST_F(ClusterFileRun, BadFlagsAreUsageErrorsNamingTheFlag) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--zk", "http://127.0.0.1:2181"},
       "mesos-launch-cluster: --zk: expected zk://HOST:PORT/path"},
      {{"--zk", "zk://no-port/mesos"}, "mesos-launch-cluster: --zk: "},
      {{"--heartbeat-interval", "0"}, "--heartbeat-interval must be in [0.01, 3600]"},
      {{"--zk-session-timeout", "9999"}, "--zk-session-timeout must be in [0.1, 600]"},
      {{"--agent-max-connections", "8"}, "--agent-max-connections must be 16 or more"},
      {{"--sandbox-gc-delay", "-1"}, "--sandbox-gc-delay must be 0 or more seconds"},
      {{"--port", "70000"}, "--port must be 0-65535"},
      {{"--allocation-interval", "0"}, "--allocation-interval > 0"},
      {{"--tls-cert", "server.pem"}, "give both --tls-cert and --tls-key, or neither"},
      {{"--executor-registration-timeout", "0"}, "--executor-registration-timeout must be > 0"},
      {{"--executor-reregistration-timeout", "20"},
       "--executor-reregistration-timeout must be in (0, 15]"},
      {{"--recovery-timeout", "0"}, "--recovery-timeout > 0"},
      {{"--credentials", "/nonexistent/credentials"},
       "cannot read credentials file /nonexistent/credentials"},
      {{"--agent-resources", "cpus:x"}, "mesos-launch-cluster: "},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> argv = {
        kCluster, "--port", "0", "--agents", "0", "--work-dir", (dir_ / "work").string()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ChildProcess cluster(argv);
    EXPECT_EQ(cluster.WaitForExit(seconds(20)), 64) << flags[0] << "\n" << cluster.output();
    EXPECT_NE(cluster.output().find(message), std::string::npos) << cluster.output();
  }
}

}  // namespace
}  // namespace mlaunch::testing

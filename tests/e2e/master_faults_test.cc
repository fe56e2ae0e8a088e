// Faults 2 and 3 of issue #8, end to end through the real programs.
//
// Leader change: a real ZooKeeper (tests/fakes/zookeeper_server.h), two
// `mesos-launch-cluster --zk` masters, `mesos-launch --master zk://...`
// running a service of a framework with a failover timeout. The leader is
// SIGKILLed kCycles times (the killed one comes back as a follower each
// time); each time the scheduler re-subscribes, with the same framework id,
// at the new leader within 2 s of ZooKeeper deleting the old leader's node,
// and that leader ends up with exactly one running task of it. A scheduler
// given the follower's host:port is redirected (307) to the leader.
//
// Silent master: a proxy between mesos-launch and the master stops passing
// the event stream's bytes but keeps the connection open; mesos-launch gives
// up on it within 5 heartbeat intervals, reconnects and re-subscribes, and
// the service keeps running as the same task, kSilences times.
//
// Every figure is printed; every wait is on an event or a polled condition
// under a deadline.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/curl_http_client.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/child_process.h"
#include "tests/e2e/silencing_proxy.h"
#include "tests/fakes/temp_dir.h"
#include "tests/fakes/zookeeper_server.h"

namespace mlaunch::testing {
namespace {

constexpr int kCycles = 3;
constexpr int kSilences = 5;
constexpr auto kWait = std::chrono::seconds(30);
constexpr auto kFollowBound = std::chrono::milliseconds(2000);

const std::string kCluster = ML_BINARY_DIR "/bin/mesos-launch-cluster";
const std::string kLauncher = ML_BINARY_DIR "/bin/mesos-launch";
const std::string kExecutorUri = "file://" ML_BINARY_DIR "/bin/mesos-launch-executor";

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::optional<nlohmann::json> State(const std::string& master_url) {
  CurlHttpClient http;
  HttpClient::Options options;
  options.timeout = std::chrono::seconds(5);
  auto got = http.Get(master_url + "/master/state", {}, options);
  if (!got.ok() || got.value().status != 200) return std::nullopt;
  nlohmann::json json = nlohmann::json::parse(got.value().body, nullptr, false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

// The master knows `framework_id` as active, with exactly one task, running.
bool OneRunningTaskOf(const std::string& master_url, const std::string& framework_id) {
  auto state = State(master_url);
  if (!state) return false;
  const auto& frameworks = (*state)["frameworks"];
  if (!frameworks.is_array() || frameworks.size() != 1) return false;
  const auto& framework = frameworks[0];
  if (framework.value("id", "") != framework_id || !framework.value("active", false)) return false;
  const auto& tasks = framework["tasks"];
  return tasks.is_array() && tasks.size() == 1 && tasks[0].value("state", "") == "TASK_RUNNING";
}

std::size_t FrameworkCount(const std::string& master_url) {
  auto state = State(master_url);
  return state && (*state)["frameworks"].is_array() ? (*state)["frameworks"].size() : 999;
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

std::string After(const std::string& line, const std::string& marker) {
  const std::size_t at = line.find(marker);
  return at == std::string::npos ? "" : line.substr(at + marker.size());
}

// A free port on 127.0.0.2, where the agents' services listen.
std::uint16_t FreeServicePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(0x7f000002);
  socklen_t length = sizeof(address);
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

class MasterFaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BecomeSubreaper();  // orphaned executors come to us, and are killed at the end
    std::ofstream(dir_ + "/spec.yaml") << "version: 1\n"
                                          "framework:\n"
                                          "  failover_timeout: 1h\n"
                                          "tasks:\n"
                                          "  - name: web\n"
                                          "    resources: { cpus: 0.1, mem: 32 }\n"
                                          "    ports:\n"
                                          "      - name: http\n"
                                          "    service:\n"
                                          "      type: http\n"
                                          "      port: http\n"
                                          "      payload: \"still here\"\n";
  }

  void TearDown() override {
    launcher_.reset();
    masters_.clear();
    zk_client_.reset();
    if (zk_ && HasFailure()) std::cerr << "--- ZooKeeper's log ---\n" << zk_->LogTail(30);
    zk_.reset();
    // Executors of SIGKILLed clusters outlive them (reparented to this
    // process): end them all.
    for (const ProcessEntry& child : LiveChildren()) {
      ::kill(-child.pid, SIGKILL);
      ::kill(child.pid, SIGKILL);
    }
    Eventually([] { return LiveChildren().empty(); }, std::chrono::seconds(10));
  }

  void StartZooKeeper() {
    std::string java;
    ML_REQUIRE_ZOOKEEPER(&java);
    const std::uint16_t port = PickFreeLoopbackPort();
    ASSERT_NE(port, 0);
    zk_ = std::make_unique<ZooKeeperServer>(java, dir_ + "/zk", port);
    ASSERT_TRUE(zk_->Start());
    ASSERT_TRUE(zk_->AwaitServing(std::chrono::seconds(20))) << zk_->LogTail(30);
    zk_client_ = std::make_unique<ZkClient>();
    ASSERT_TRUE(zk_client_->Connect(zk_->ConnectString(), std::chrono::seconds(20),
                                    [this] { return zk_->Running(); }));
    zk_url_ = "zk://" + zk_->ConnectString() + "/mesos";
  }

  struct RunningMaster {
    std::unique_ptr<ChildProcess> process;
    std::string url;  // http://127.0.0.1:PORT
  };

  // Starts a cluster with one agent offering one port of its own; with --zk
  // when `zk`, waiting until it says how the election went (`role`).
  RunningMaster StartMaster(const std::vector<std::string>& extra, const std::string& role) {
    const std::uint16_t service_port = FreeServicePort();
    const std::string port = std::to_string(service_port);
    std::vector<std::string> argv = {kCluster,
                                     "--port",
                                     "0",
                                     "--agents",
                                     "1",
                                     "--work-dir",
                                     dir_ + "/cluster" + std::to_string(++clusters_),
                                     "--allocation-interval",
                                     "0.1",
                                     "--agent-resources",
                                     "cpus:2;mem:2048;disk:1000;ports:[" + port + "-" + port + "]"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    RunningMaster master;
    master.process = std::make_unique<ChildProcess>(argv, std::vector<std::string>{"MESOS_MASTER"});
    auto line = master.process->WaitForText("master listening on ", kWait);
    EXPECT_TRUE(line) << master.process->output();
    if (!line) return master;
    master.url = After(*line, "master listening on ");
    if (!role.empty()) {
      EXPECT_TRUE(master.process->WaitForText(role, kWait)) << master.process->output();
    }
    return master;
  }

  RunningMaster StartElectedMaster(const std::string& role) {
    return StartMaster({"--zk", zk_url_, "--zk-session-timeout", "1"}, role);
  }

  void StartLauncher(const std::string& master) {
    launcher_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kLauncher, "--master", master, "--executor-uri", kExecutorUri,
                                 "--state-dir", dir_ + "/state", dir_ + "/spec.yaml"},
        std::vector<std::string>{"MESOS_MASTER"});
  }

  // The election node that leads now.
  std::string LeaderNode() {
    auto children = zk_client_->Children("/mesos");
    if (!children) return "";
    std::string leader;
    for (const std::string& child : *children) {
      if (child.rfind("json.info_", 0) == 0 && (leader.empty() || child < leader)) leader = child;
    }
    return leader;
  }

  const mlaunch::testing::TempDir temp_{"master_faults"};
  const std::string dir_ = temp_.path();
  int clusters_ = 0;
  std::unique_ptr<ZooKeeperServer> zk_;
  std::unique_ptr<ZkClient> zk_client_;
  std::string zk_url_;
  std::vector<RunningMaster> masters_;
  std::unique_ptr<ChildProcess> launcher_;
};

TEST_F(MasterFaultsTest, SchedulerFollowsTheNewLeaderWithinTwoSecondsOfTheZnodeChange) {
  ASSERT_NO_FATAL_FAILURE(StartZooKeeper());
  if (IsSkipped()) return;
  masters_.push_back(StartElectedMaster("election: leading"));
  masters_.push_back(StartElectedMaster("election: following"));
  ASSERT_FALSE(HasFailure());
  std::size_t leader = 0;

  StartLauncher(zk_url_);
  auto subscribed = launcher_->WaitForText("subscribed framework=", kWait);
  ASSERT_TRUE(subscribed) << launcher_->output();
  const std::string framework_id = After(*subscribed, "subscribed framework=");
  ASSERT_TRUE(launcher_->WaitForText("serving http://", kWait)) << launcher_->output();
  ASSERT_TRUE(
      Eventually([&] { return OneRunningTaskOf(masters_[leader].url, framework_id); }, kWait));

  std::vector<double> follow_ms;
  for (int cycle = 1; cycle <= kCycles; ++cycle) {
    SCOPED_TRACE("leader change " + std::to_string(cycle));
    const std::string node = LeaderNode();
    ASSERT_FALSE(node.empty());
    ASSERT_TRUE(zk_client_->WatchDeletion("/mesos/" + node));
    masters_[leader].process->Signal(SIGKILL);
    ASSERT_TRUE(masters_[leader].process->WaitForExit(kWait));
    const std::size_t next = 1 - leader;

    auto again = launcher_->WaitForText("re-subscribed framework=" + framework_id, kWait);
    const auto resubscribed_at = Clock::now();
    ASSERT_TRUE(again) << launcher_->output();
    auto deleted_at = zk_client_->DeletedAt(std::chrono::seconds(0));
    ASSERT_TRUE(deleted_at) << "re-subscribed before the old leader's node went";
    const double took = Ms(resubscribed_at - *deleted_at);
    follow_ms.push_back(took);
    std::cout << "leader change " << cycle << ": re-subscribed at the new leader " << took
              << " ms after its node " << node << " was deleted\n";
    EXPECT_LE(took, Ms(kFollowBound));
    EXPECT_TRUE(masters_[next].process->WaitForText("election: leading", kWait));

    // The new leader has the framework, with one task running: the one it
    // knew nothing of is reported lost by reconciliation and launched again
    // on its own agent (the old one's executor is orphaned with its master).
    EXPECT_TRUE(
        Eventually([&] { return OneRunningTaskOf(masters_[next].url, framework_id); }, kWait))
        << (State(masters_[next].url) ? State(masters_[next].url)->dump() : "no state")
        << launcher_->output();
    ASSERT_FALSE(launcher_->WaitForExit(std::chrono::milliseconds(0)).has_value())
        << launcher_->output();

    // The killed master comes back, as a follower.
    masters_[leader] = StartElectedMaster("election: following");
    ASSERT_FALSE(HasFailure());
    leader = next;
  }
  std::cout << kCycles << " leader changes followed, worst "
            << *std::max_element(follow_ms.begin(), follow_ms.end()) << " ms\n";
  EXPECT_EQ(Count(launcher_->output(), "re-subscribed framework=" + framework_id), kCycles);
  EXPECT_EQ(Count(launcher_->output(), "re-subscribed framework="), kCycles);  // no other id

  launcher_->Signal(SIGINT);
  EXPECT_EQ(launcher_->WaitForExit(kWait), 0) << launcher_->output();
}

TEST_F(MasterFaultsTest, FollowerRedirectsTheSchedulerToTheLeader) {
  ASSERT_NO_FATAL_FAILURE(StartZooKeeper());
  if (IsSkipped()) return;
  masters_.push_back(StartElectedMaster("election: leading"));
  masters_.push_back(StartElectedMaster("election: following"));
  ASSERT_FALSE(HasFailure());
  const std::string leader_port = masters_[0].url.substr(masters_[0].url.rfind(':') + 1);

  // What the follower answers, as on the wire.
  CurlHttpClient http;
  auto answer = http.Post(masters_[1].url + "/api/v1/scheduler",
                          {{"Content-Type", "application/json"}}, "{}", HttpClient::Options{});
  ASSERT_TRUE(answer.ok()) << answer.message();
  EXPECT_EQ(answer.value().status, 307);
  EXPECT_EQ(answer.value().headers.Get("Location").value_or(""),
            "//localhost:" + leader_port + "/api/v1/scheduler");

  // mesos-launch given the follower by host:port subscribes at the leader.
  StartLauncher(masters_[1].url.substr(std::string("http://").size()));
  auto subscribed = launcher_->WaitForText("subscribed framework=", kWait);
  ASSERT_TRUE(subscribed) << launcher_->output();
  const std::string framework_id = After(*subscribed, "subscribed framework=");
  EXPECT_TRUE(Eventually([&] { return OneRunningTaskOf(masters_[0].url, framework_id); }, kWait))
      << launcher_->output();
  EXPECT_EQ(FrameworkCount(masters_[1].url), 0u);
  launcher_->Signal(SIGINT);
  EXPECT_EQ(launcher_->WaitForExit(kWait), 0) << launcher_->output();
}

TEST_F(MasterFaultsTest, SilentMasterIsLeftWithinFiveHeartbeatsAndTheServiceKeepsRunning) {
  constexpr double kHeartbeatSeconds = 0.3;
  masters_.push_back(StartMaster({"--heartbeat-interval", "0.3"}, ""));
  ASSERT_FALSE(HasFailure());
  const std::uint16_t master_port =
      static_cast<std::uint16_t>(std::stoi(masters_[0].url.substr(masters_[0].url.rfind(':') + 1)));
  SilencingProxy proxy(master_port);
  ASSERT_NE(proxy.port(), 0);

  StartLauncher("127.0.0.1:" + std::to_string(proxy.port()));
  auto subscribed = launcher_->WaitForText("subscribed framework=", kWait);
  ASSERT_TRUE(subscribed) << launcher_->output();
  const std::string framework_id = After(*subscribed, "subscribed framework=");
  auto serving = launcher_->WaitForText("serving http://", kWait);
  ASSERT_TRUE(serving) << launcher_->output();
  ASSERT_TRUE(Eventually([&] { return OneRunningTaskOf(masters_[0].url, framework_id); }, kWait));
  const std::string service = "http://" + After(*serving, "serving http://");
  CurlHttpClient http;

  const double bound_ms = 5 * kHeartbeatSeconds * 1000;
  std::vector<double> detect_ms;
  for (int silence = 1; silence <= kSilences; ++silence) {
    SCOPED_TRACE("silence " + std::to_string(silence));
    ASSERT_EQ(proxy.Silence(), 1);  // the one subscription stream
    const auto silent_from = Clock::now();
    auto gave_up = proxy.ClientGaveUpAt(kWait);
    ASSERT_TRUE(gave_up) << launcher_->output();
    const double took = Ms(*gave_up - silent_from);
    detect_ms.push_back(took);
    std::cout << "silence " << silence << ": mesos-launch left the silent stream after " << took
              << " ms (5 heartbeats = " << bound_ms << " ms)\n";
    // The last bytes came at most one interval before the silence began;
    // 200 ms allow for the scheduler's threads being late under load.
    EXPECT_LE(took, bound_ms + 200);
    EXPECT_GE(took, bound_ms - kHeartbeatSeconds * 1000 - 50);  // the watchdog, not chance
    ASSERT_TRUE(launcher_->WaitForText("re-subscribed framework=" + framework_id, kWait))
        << launcher_->output();
    EXPECT_TRUE(Eventually([&] { return OneRunningTaskOf(masters_[0].url, framework_id); }, kWait));
    auto page = http.Get(service, {}, HttpClient::Options{});
    ASSERT_TRUE(page.ok()) << page.message();
    EXPECT_EQ(page.value().body, "still here");
  }
  std::cout << kSilences << " silences detected, worst "
            << *std::max_element(detect_ms.begin(), detect_ms.end()) << " ms; "
            << Count(launcher_->output(), "re-subscribed framework=") << " reconnects\n";
  EXPECT_EQ(Count(launcher_->output(), "re-subscribed framework=" + framework_id), kSilences);
  EXPECT_EQ(Count(launcher_->output(), "LAUNCHED"), 1) << launcher_->output();
  launcher_->Signal(SIGINT);
  EXPECT_EQ(launcher_->WaitForExit(kWait), 0) << launcher_->output();
}

}  // namespace
}  // namespace mlaunch::testing

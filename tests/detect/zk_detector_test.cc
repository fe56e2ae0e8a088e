// ZooKeeper master detection. The pure parts run everywhere. ZkDetectorTest
// starts a real standalone ZooKeeper (Debian `zookeeper`, needs Java) for
// each test, on a free loopback port in a temporary directory, and kills it
// at the end; with CI=true a missing Java or ZooKeeper fails the tests
// instead of skipping them. ML_ZK_CLIENT_LOG=1 shows the ZooKeeper client
// log of the detectors under test on stderr.
#include "detect/zk_detector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/temp_dir.h"
#include "tests/fakes/zookeeper_server.h"

namespace mlaunch {
namespace {

using testing::FindOnPath;
using testing::kZooKeeperJar;
using testing::PickFreeLoopbackPort;
using testing::ZkClient;
using testing::ZooKeeperServer;

using std::chrono::milliseconds;
using std::chrono::seconds;

// What a Mesos 1.12 master publishes, with its own values.
std::string MasterJson(const std::string& ip, int port, const std::string& id) {
  return R"({"address":{"hostname":"m1.example.com","ip":")" + ip + R"(","port":)" +
         std::to_string(port) +
         R"(},"capabilities":[{"type":"AGENT_UPDATE"},{"type":"AGENT_DRAINING"},)"
         R"({"type":"QUOTA_V2"}],"hostname":"m1.example.com","id":")" +
         id + R"(","ip":184549386,"pid":"master@)" + ip + ":" + std::to_string(port) +
         R"(","port":)" + std::to_string(port) + R"(,"version":"1.12.0"})";
}

std::string Describe(const Detection& detection) {
  if (detection.leader) {
    return detection.leader->znode + " at " + detection.leader->address.ToString();
  }
  return "no leader (" + detection.problem + ")";
}

// ---------------------------------------------------------------------------
// The pure parts.

TEST(ParseZkMembership, ReadsLabelAndSequenceAndSkipsOtherNames) {
  struct Case {
    std::string name;
    std::optional<ZkMembership> expected;
  };
  const Case kCases[] = {
      {"json.info_0000000007", ZkMembership{"json.info_0000000007", "json.info", 7}},
      {"info_0000000012", ZkMembership{"info_0000000012", "info", 12}},
      {"0000000003", ZkMembership{"0000000003", "", 3}},
      {"a_b_0000000004", ZkMembership{"a_b_0000000004", "a_b", 4}},
      {"log_replicas", std::nullopt},
      {"json.info_", std::nullopt},
      {"json.info_12ab", std::nullopt},
      {"_0000000001", std::nullopt},
      {"", std::nullopt},
      {"json.info_00000000000000000000001", std::nullopt},  // more digits than fit
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(ParseZkMembership(c.name), c.expected) << c.name;
  }
}

TEST(SelectLeader, SmallestSequenceWinsWhateverTheName) {
  std::optional<ZkMembership> leader =
      SelectLeader({"json.info_0000000010", "log_replicas", "json.info_0000000009", "0000000011"});
  ASSERT_TRUE(leader.has_value());
  EXPECT_EQ(leader->name, "json.info_0000000009");
  // Numeric order, not text order.
  EXPECT_EQ(SelectLeader({"json.info_10", "json.info_9"})->name, "json.info_9");
}

TEST(SelectLeader, NoMembersNoLeader) {
  EXPECT_FALSE(SelectLeader({}).has_value());
  EXPECT_FALSE(SelectLeader({"log_replicas", "json.info_"}).has_value());
}

TEST(ParseLeaderData, UsesAddressIpAndPortNotTheByteSwappedIp) {
  Result<DetectedMaster> master =
      ParseLeaderData(*ParseZkMembership("json.info_0000000007"),
                      MasterJson("10.0.0.11", 5050, "2c0d9d44-8a61-4f4e-9b2a-3f6c1e7d5a10"));
  ASSERT_TRUE(master.ok()) << master.message();
  EXPECT_EQ(master->znode, "json.info_0000000007");
  EXPECT_EQ(master->address, (HostPort{"10.0.0.11", 5050}));
  EXPECT_EQ(master->info.id(), "2c0d9d44-8a61-4f4e-9b2a-3f6c1e7d5a10");
  EXPECT_EQ(master->info.version(), "1.12.0");
  EXPECT_EQ(master->info.ip(), 184549386u);  // kept as published, not used
}

TEST(ParseLeaderData, FallsBackToAddressHostnameThenPid) {
  ZkMembership member = *ParseZkMembership("json.info_0000000001");
  Result<DetectedMaster> by_hostname =
      ParseLeaderData(member, R"({"id":"a","ip":16777343,"port":5050,)"
                              R"("address":{"hostname":"m2.example.com","port":5051}})");
  ASSERT_TRUE(by_hostname.ok()) << by_hostname.message();
  EXPECT_EQ(by_hostname->address, (HostPort{"m2.example.com", 5051}));

  Result<DetectedMaster> by_pid = ParseLeaderData(
      member, R"({"id":"a","ip":16777343,"port":5050,"pid":"master@10.1.2.3:5052"})");
  ASSERT_TRUE(by_pid.ok()) << by_pid.message();
  EXPECT_EQ(by_pid->address, (HostPort{"10.1.2.3", 5052}));
}

TEST(ParseLeaderData, ToleratesWhatNewerMastersAdd) {
  Result<DetectedMaster> master = ParseLeaderData(
      *ParseZkMembership("json.info_0000000001"),
      R"({"id":"a","ip":1,"port":5050,"address":{"ip":"10.0.0.1","port":5050},)"
      R"("capabilities":[{"type":"AGENT_UPDATE"},{"type":"SOME_FUTURE_CAPABILITY"}],)"
      R"("some_future_field":{"x":[1,2]}})");
  ASSERT_TRUE(master.ok()) << master.message();
  EXPECT_EQ(master->address, (HostPort{"10.0.0.1", 5050}));
}

TEST(ParseLeaderData, ReadsBinaryInfoAndBarePidFromOldMasters) {
  mesos::v1::MasterInfo info;
  info.set_id("old");
  info.set_ip(1);
  info.set_port(5050);
  info.mutable_address()->set_ip("10.0.0.2");
  info.mutable_address()->set_port(5050);
  Result<DetectedMaster> binary =
      ParseLeaderData(*ParseZkMembership("info_0000000001"), info.SerializeAsString());
  ASSERT_TRUE(binary.ok()) << binary.message();
  EXPECT_EQ(binary->address, (HostPort{"10.0.0.2", 5050}));

  Result<DetectedMaster> bare =
      ParseLeaderData(*ParseZkMembership("0000000001"), "master@10.0.0.3:5050");
  ASSERT_TRUE(bare.ok()) << bare.message();
  EXPECT_EQ(bare->address, (HostPort{"10.0.0.3", 5050}));
}

TEST(ParseLeaderData, ExplainsUnusableContent) {
  struct Case {
    std::string name;
    std::string data;
    std::string error;
  };
  const Case kCases[] = {
      {"json.info_0000000001", "not json",
       "leader json.info_0000000001 holds invalid MasterInfo JSON"},
      {"json.info_0000000001", R"({"address":{"ip":"10.0.0.1","port":5050}})",
       "holds invalid MasterInfo JSON: missing field id"},  // required, as for Mesos
      {"json.info_0000000001", R"({"id":"a","ip":1,"port":5050})", "publishes no usable address"},
      {"json.info_0000000001",
       R"({"id":"a","ip":1,"port":5050,"address":{"ip":"10.0.0.1","port":0}})", "publishes port 0"},
      {"info_0000000001", "\xff\xff\xff", "unreadable binary MasterInfo"},
      {"0000000001", "garbage", "publishes no usable address"},
      {"member_0000000001", "{}", "has label 'member', which is not a Mesos master's"},
  };
  for (const Case& c : kCases) {
    Result<DetectedMaster> master = ParseLeaderData(*ParseZkMembership(c.name), c.data);
    ASSERT_FALSE(master.ok()) << c.data;
    EXPECT_NE(master.message().find(c.error), std::string::npos) << master.message();
  }
}

TEST(ZkDetectorStart, RejectsTargetsNoClientCanUse) {
  EXPECT_FALSE(ZkDetector::Start(ZooKeeperTarget{{}, "/mesos", {}}, nullptr).ok());
  EXPECT_FALSE(
      ZkDetector::Start(ZooKeeperTarget{{{"127.0.0.1", 2181}}, "mesos", {}}, nullptr).ok());
  ZkDetectorOptions options;
  options.session_timeout = milliseconds(0);
  EXPECT_FALSE(
      ZkDetector::Start(ZooKeeperTarget{{{"127.0.0.1", 2181}}, "/mesos", {}}, nullptr, options)
          .ok());
}

// Collects what a detector reports and lets a test await a state.
class DetectionLog {
 public:
  ZkDetector::Callback Sink() {
    return [this](const Detection& detection) {
      std::lock_guard<std::mutex> lock(mutex_);
      history_.push_back(detection);
      changed_.notify_all();
    };
  }

  // Waits until the latest report satisfies `want`; nullopt after `timeout`.
  std::optional<Detection> AwaitLatest(const std::function<bool(const Detection&)>& want,
                                       milliseconds timeout = seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, timeout,
                           [&] { return !history_.empty() && want(history_.back()); })) {
      return std::nullopt;
    }
    return history_.back();
  }

  std::vector<Detection> History() {
    std::lock_guard<std::mutex> lock(mutex_);
    return history_;
  }

  std::string HistoryText() {
    std::string out;
    for (const Detection& detection : History()) out += "\n  " + Describe(detection);
    return out.empty() ? " (nothing reported)" : out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Detection> history_;
};

std::function<bool(const Detection&)> LeaderIs(const std::string& znode) {
  return [znode](const Detection& d) { return d.leader && d.leader->znode == znode; };
}

std::function<bool(const Detection&)> LeaderAt(const HostPort& address) {
  return [address](const Detection& d) { return d.leader && d.leader->address == address; };
}

std::function<bool(const Detection&)> NoLeaderBecause(const std::string& problem) {
  return [problem](const Detection& d) {
    return !d.leader && d.problem.find(problem) != std::string::npos;
  };
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Starts a fresh ZooKeeper per test. With CI=true a missing Java or ZooKeeper
// fails the test; elsewhere it skips with the reason.
class ZkDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string java;
    ML_REQUIRE_ZOOKEEPER(&java);
    temp_.emplace("zk_detector_test");
    dir_ = temp_->path();
    uint16_t port = PickFreeLoopbackPort();
    ASSERT_NE(port, 0);
    server_ = std::make_unique<ZooKeeperServer>(java, dir_, port);
    ASSERT_NO_FATAL_FAILURE(StartServerAndConnect());
  }

  void TearDown() override {
    detector_.reset();
    client_.reset();
    if (server_ && HasFailure()) {
      std::cerr << "--- end of ZooKeeper's log (" << server_->log_path().string() << ") ---\n"
                << server_->LogTail(40);
    }
    server_.reset();
    temp_.reset();
  }

  // Starts the server and connects client_ to it; the connection is the
  // readiness signal.
  void StartServerAndConnect() {
    ASSERT_TRUE(server_->Start()) << "cannot start java";
    ASSERT_TRUE(server_->AwaitServing(seconds(20)))
        << "ZooKeeper on " << server_->ConnectString()
        << (server_->Running() ? " did not serve within 20 s" : " exited");
    client_ = std::make_unique<ZkClient>();
    ASSERT_TRUE(client_->Connect(server_->ConnectString(), seconds(20),
                                 [this] { return server_->Running(); }))
        << "ZooKeeper did not accept a client on " << server_->ConnectString()
        << (server_->Running() ? " within 20 s" : "; the server exited");
  }

  void StartDetector(std::optional<ZooKeeperCredentials> credentials = std::nullopt,
                     milliseconds session_timeout = milliseconds(2000)) {
    ZooKeeperTarget target{{{"127.0.0.1", server_->port()}}, "/mesos", std::move(credentials)};
    ZkDetectorOptions options;
    options.session_timeout = session_timeout;
    options.retry_delay = milliseconds(200);
    options.client_log_to_stderr = std::getenv("ML_ZK_CLIENT_LOG") != nullptr;
    Result<std::unique_ptr<ZkDetector>> detector =
        ZkDetector::Start(std::move(target), log_.Sink(), options);
    ASSERT_TRUE(detector.ok()) << detector.message();
    detector_ = std::move(detector).value();
  }

  // Advances ZooKeeper's transaction id by 2 * `rounds`.
  void AddTransactions(int rounds) {
    for (int i = 0; i < rounds; ++i) {
      client_->Create("/padding", "", ZOO_PERSISTENT);
      client_->Delete("/padding");
    }
  }

  // Replaces the server with one that has lost all data, as when an ensemble
  // is rebuilt: it knows none of the old sessions. A client reconnecting to
  // it is refused while it has seen a newer transaction than the server has,
  // and told that its session expired once the server has caught up.
  void ReplaceServerWithAnEmptyOne() {
    client_.reset();
    server_->Stop();
    server_->WipeData();
    ASSERT_NO_FATAL_FAILURE(StartServerAndConnect());
  }

  // A master's election node, created the way a master creates it.
  std::string AddMaster(const std::string& ip, const std::string& id) {
    return client_->Create("/mesos/json.info_", MasterJson(ip, 5050, id), ZOO_EPHEMERAL_SEQUENTIAL);
  }

  std::filesystem::path dir_;
  std::optional<mlaunch::testing::TempDir> temp_;
  std::unique_ptr<ZooKeeperServer> server_;
  std::unique_ptr<ZkClient> client_;
  DetectionLog log_;
  std::unique_ptr<ZkDetector> detector_;
};

TEST_F(ZkDetectorTest, ReportsTheLeaderFromASequentialJsonInfoNode) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  client_->Create("/mesos/log_replicas", "", ZOO_PERSISTENT);
  // Six earlier masters came and went; every child created advances the
  // parent's sequence counter.
  for (int i = 1; i <= 6; ++i) client_->Delete(AddMaster("10.0.0.1", "gone" + std::to_string(i)));
  std::string node = AddMaster("10.0.0.11", "2c0d9d44-8a61-4f4e-9b2a-3f6c1e7d5a10");
  ASSERT_EQ(node, "/mesos/json.info_0000000007");

  StartDetector();
  std::optional<Detection> found = log_.AwaitLatest(LeaderIs("json.info_0000000007"));
  ASSERT_TRUE(found) << log_.HistoryText();
  EXPECT_EQ(found->leader->address, (HostPort{"10.0.0.11", 5050}));
  EXPECT_EQ(found->leader->info.id(), "2c0d9d44-8a61-4f4e-9b2a-3f6c1e7d5a10");
  EXPECT_EQ(found->leader->info.version(), "1.12.0");
  EXPECT_EQ(detector_->Current(), found);
  EXPECT_EQ(log_.History().size(), 1u) << log_.HistoryText();
}

TEST_F(ZkDetectorTest, ReportsNoLeaderForAnEmptyPathThenTheFirstMaster) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  StartDetector();
  ASSERT_TRUE(log_.AwaitLatest(NoLeaderBecause("no master is registered under /mesos")))
      << log_.HistoryText();

  std::string node = AddMaster("10.0.0.11", "m1");
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(node)))) << log_.HistoryText();
}

TEST_F(ZkDetectorTest, WatchesForThePathToAppear) {
  StartDetector();
  ASSERT_TRUE(log_.AwaitLatest(NoLeaderBecause("ZooKeeper path /mesos does not exist")))
      << log_.HistoryText();

  client_->Create("/mesos", "", ZOO_PERSISTENT);
  ASSERT_TRUE(log_.AwaitLatest(NoLeaderBecause("no master is registered"))) << log_.HistoryText();
  std::string node = AddMaster("10.0.0.11", "m1");
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(node)))) << log_.HistoryText();
}

TEST_F(ZkDetectorTest, NextSmallestSequenceTakesOverWhenTheLeaderLeaves) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  std::string first = AddMaster("10.0.0.11", "m1");
  std::string second = AddMaster("10.0.0.12", "m2");
  std::string third = AddMaster("10.0.0.13", "m3");
  StartDetector();
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(first)))) << log_.HistoryText();

  // Changes that leave the leader in place are not reported.
  client_->Create("/mesos/log_replicas", "", ZOO_PERSISTENT);
  client_->Delete(third);
  client_->Delete(first);
  std::optional<Detection> next = log_.AwaitLatest(LeaderIs(Basename(second)));
  ASSERT_TRUE(next) << log_.HistoryText();
  EXPECT_EQ(next->leader->address, (HostPort{"10.0.0.12", 5050}));

  client_->Delete(second);
  ASSERT_TRUE(log_.AwaitLatest(NoLeaderBecause("no master is registered"))) << log_.HistoryText();

  std::vector<Detection> history = log_.History();
  ASSERT_EQ(history.size(), 3u) << log_.HistoryText();
  EXPECT_EQ(history[0].leader->znode, Basename(first));
  EXPECT_EQ(history[1].leader->znode, Basename(second));
  EXPECT_FALSE(history[2].leader.has_value());
}

TEST_F(ZkDetectorTest, IgnoresChildrenWithoutASequenceNumber) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  client_->Create("/mesos/log_replicas", "", ZOO_PERSISTENT);
  client_->Create("/mesos/json.info_", "{}", ZOO_PERSISTENT);
  client_->Create("/mesos/json.info_12ab", "{}", ZOO_PERSISTENT);
  StartDetector();
  ASSERT_TRUE(log_.AwaitLatest(NoLeaderBecause("no master is registered under /mesos")))
      << log_.HistoryText();

  std::string node = AddMaster("10.0.0.11", "m1");
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(node)))) << log_.HistoryText();
}

TEST_F(ZkDetectorTest, ReportsUnreadableLeaderDataAsNoLeaderWithTheReason) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  std::string broken =
      client_->Create("/mesos/json.info_", "{\"address\":", ZOO_EPHEMERAL_SEQUENTIAL);
  StartDetector();
  ASSERT_TRUE(
      log_.AwaitLatest(NoLeaderBecause(Basename(broken) + " holds invalid MasterInfo JSON")))
      << log_.HistoryText();

  std::string good = AddMaster("10.0.0.11", "m1");
  client_->Delete(broken);
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(good)))) << log_.HistoryText();
}

TEST_F(ZkDetectorTest, DigestCredentialsOpenAProtectedPath) {
  ASSERT_EQ(client_->AddDigest("mesos:s3cret"), ZOK);
  // Readable only by sessions authenticated as mesos:s3cret.
  client_->Create("/mesos", "", ZOO_PERSISTENT, &ZOO_CREATOR_ALL_ACL);
  std::string node = client_->Create("/mesos/json.info_", MasterJson("10.0.0.11", 5050, "m1"),
                                     ZOO_EPHEMERAL_SEQUENTIAL, &ZOO_CREATOR_ALL_ACL);

  StartDetector();
  ASSERT_TRUE(log_.AwaitLatest(NoLeaderBecause(
      "ZooKeeper denied access to /mesos; give credentials as zk://user:password@")))
      << log_.HistoryText();
  detector_.reset();

  DetectionLog wrong_log;
  {
    ZkDetectorOptions options;
    options.session_timeout = milliseconds(2000);
    Result<std::unique_ptr<ZkDetector>> wrong = ZkDetector::Start(
        ZooKeeperTarget{
            {{"127.0.0.1", server_->port()}}, "/mesos", ZooKeeperCredentials{"mesos", "wrong"}},
        wrong_log.Sink(), options);
    ASSERT_TRUE(wrong.ok()) << wrong.message();
    std::optional<Detection> denied =
        wrong_log.AwaitLatest(NoLeaderBecause("denied access to /mesos for user 'mesos'"));
    ASSERT_TRUE(denied) << wrong_log.HistoryText();
    EXPECT_EQ(denied->problem.find("wrong"), std::string::npos) << denied->problem;
  }

  StartDetector(ZooKeeperCredentials{"mesos", "s3cret"});
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(node)))) << log_.HistoryText();
}

TEST_F(ZkDetectorTest, KeepsWatchingAcrossAServerRestart) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  std::string first = AddMaster("10.0.0.11", "m1");
  std::string second = AddMaster("10.0.0.12", "m2");
  StartDetector();
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(first)))) << log_.HistoryText();

  server_->Stop();
  ASSERT_TRUE(server_->Start());
  ASSERT_TRUE(server_->AwaitServing(seconds(20)));
  // The sessions survive a restart of a server that keeps its data, so the
  // same client reconnects and its ephemeral nodes are still there.
  ASSERT_TRUE(client_->AwaitConnected(seconds(20), [this] { return server_->Running(); }))
      << "the test's client did not reconnect";
  client_->Delete(first);
  ASSERT_TRUE(log_.AwaitLatest(LeaderIs(Basename(second)))) << log_.HistoryText();
  for (const Detection& detection : log_.History()) {
    EXPECT_TRUE(detection.leader.has_value()) << "reported " << Describe(detection);
  }
}

TEST_F(ZkDetectorTest, StartsANewSessionWhenZooKeeperExpiresTheOldOne) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  AddMaster("10.0.0.11", "m1");
  // A long session timeout: recovering sooner than that takes ZooKeeper's
  // "session expired", not the detector's own reconnect deadline.
  StartDetector(std::nullopt, seconds(10));
  ASSERT_TRUE(log_.AwaitLatest(LeaderAt({"10.0.0.11", 5050}))) << log_.HistoryText();

  ASSERT_NO_FATAL_FAILURE(ReplaceServerWithAnEmptyOne());
  AddTransactions(20);  // past what the detector has seen, so it is let in
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  AddMaster("10.0.0.12", "m2");

  std::optional<Detection> found = log_.AwaitLatest(LeaderAt({"10.0.0.12", 5050}), seconds(15));
  ASSERT_TRUE(found) << log_.HistoryText();
  EXPECT_EQ(found->leader->info.id(), "m2");
}

TEST_F(ZkDetectorTest, StartsANewSessionWhenItCannotReconnectWithinTheSessionTimeout) {
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  AddMaster("10.0.0.11", "m1");
  StartDetector();  // session timeout 2 s
  ASSERT_TRUE(log_.AwaitLatest(LeaderAt({"10.0.0.11", 5050}))) << log_.HistoryText();
  AddTransactions(20);
  ASSERT_TRUE(log_.AwaitLatest(LeaderAt({"10.0.0.11", 5050}))) << log_.HistoryText();

  // The empty server stays behind what the old session has seen, so it
  // refuses that session for good; only a new session gets in.
  ASSERT_NO_FATAL_FAILURE(ReplaceServerWithAnEmptyOne());
  client_->Create("/mesos", "", ZOO_PERSISTENT);
  AddMaster("10.0.0.12", "m2");

  std::optional<Detection> found = log_.AwaitLatest(LeaderAt({"10.0.0.12", 5050}));
  ASSERT_TRUE(found) << log_.HistoryText();
  EXPECT_EQ(found->leader->info.id(), "m2");
}

// A master's side: contending detectors create their election nodes (and the
// missing path), the oldest leads, and the next one leads once it is gone.
TEST_F(ZkDetectorTest, ContendingDetectorsElectTheOldestAndTheNextTakesOver) {
  ZooKeeperTarget target{{{"127.0.0.1", server_->port()}}, "/clusters/mesos", std::nullopt};
  auto contend = [&](const std::string& ip, const std::string& id, DetectionLog& log) {
    ZkDetectorOptions options;
    options.session_timeout = milliseconds(2000);
    options.retry_delay = milliseconds(200);
    options.contend_with = MasterJson(ip, 5050, id);
    Result<std::unique_ptr<ZkDetector>> detector = ZkDetector::Start(target, log.Sink(), options);
    EXPECT_TRUE(detector.ok()) << detector.message();
    return detector.ok() ? std::move(detector).value() : nullptr;
  };
  DetectionLog first_log, second_log;
  std::unique_ptr<ZkDetector> first = contend("10.0.0.11", "m1", first_log);
  ASSERT_TRUE(first);
  auto leads = [](const Detection& d) {
    return d.leader && !d.own.empty() && d.leader->znode == d.own;
  };
  std::optional<Detection> led = first_log.AwaitLatest(leads);
  ASSERT_TRUE(led) << first_log.HistoryText();
  EXPECT_TRUE(led->own.starts_with("json.info_")) << led->own;
  EXPECT_EQ(led->leader->address, (HostPort{"10.0.0.11", 5050}));

  std::unique_ptr<ZkDetector> second = contend("10.0.0.12", "m2", second_log);
  ASSERT_TRUE(second);
  std::optional<Detection> follows = second_log.AwaitLatest([&](const Detection& d) {
    return !d.own.empty() && d.leader && d.leader->znode == led->own;
  });
  ASSERT_TRUE(follows) << second_log.HistoryText();
  EXPECT_GT(ParseZkMembership(follows->own)->sequence, ParseZkMembership(led->own)->sequence);
  std::optional<std::vector<std::string>> children = client_->Children("/clusters/mesos");
  ASSERT_TRUE(children);
  EXPECT_EQ(children->size(), 2u);

  first.reset();  // closes its session: its node goes at once
  std::optional<Detection> takes_over = second_log.AwaitLatest(leads);
  ASSERT_TRUE(takes_over) << second_log.HistoryText();
  EXPECT_EQ(takes_over->own, follows->own);
  EXPECT_EQ(takes_over->leader->address, (HostPort{"10.0.0.12", 5050}));
}

TEST(ZkDetectorShutdown, StopsPromptlyWhileZooKeeperIsUnreachable) {
  uint16_t port = PickFreeLoopbackPort();  // nothing listens there
  ASSERT_NE(port, 0);
  DetectionLog log;
  ZkDetectorOptions options;
  options.session_timeout = seconds(30);
  auto started = std::chrono::steady_clock::now();
  {
    Result<std::unique_ptr<ZkDetector>> detector = ZkDetector::Start(
        ZooKeeperTarget{{{"127.0.0.1", port}}, "/mesos", {}}, log.Sink(), options);
    ASSERT_TRUE(detector.ok()) << detector.message();
    EXPECT_FALSE(detector.value()->Current().has_value());
  }
  // Far below the session timeout: stopping does not wait for ZooKeeper.
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));
  EXPECT_TRUE(log.History().empty()) << log.HistoryText();
}

}  // namespace
}  // namespace mlaunch

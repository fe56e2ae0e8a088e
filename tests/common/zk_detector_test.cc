// ZooKeeper master detection. The pure parts run everywhere. ZkDetectorTest
// starts a real standalone ZooKeeper (Debian `zookeeper`, needs Java) for
// each test, on a free loopback port in a temporary directory, and kills it
// at the end; with CI=true a missing Java or ZooKeeper fails the tests
// instead of skipping them. ML_ZK_CLIENT_LOG=1 shows the ZooKeeper client
// log of the detectors under test on stderr.
#include "common/zk_detector.h"

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

namespace mlaunch {
namespace {

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
  Result<DetectedMaster> by_hostname = ParseLeaderData(
      member,
      R"({"id":"a","ip":16777343,"port":5050,"address":{"hostname":"m2.example.com","port":5051}})");
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

// ---------------------------------------------------------------------------
// Helpers for the tests against a real ZooKeeper server.

uint16_t PickFreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string FindOnPath(const std::string& program) {
  if (const char* java_home = std::getenv("JAVA_HOME"); java_home && program == "java") {
    std::string candidate = std::string(java_home) + "/bin/java";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Debian's `zookeeper` package: the server jar, whose manifest names its
// dependencies. slf4j-simple, when present, makes the server's log readable.
constexpr const char* kZooKeeperJar = "/usr/share/java/zookeeper.jar";
constexpr const char* kSlf4jSimpleJar = "/usr/share/java/slf4j-simple.jar";

// A standalone ZooKeeper server on a loopback port, in its own directory,
// killed when stopped or when this process dies.
class ZooKeeperServer {
 public:
  ZooKeeperServer(std::string java, std::filesystem::path dir, uint16_t port)
      : java_(std::move(java)), dir_(std::move(dir)), port_(port) {}
  ~ZooKeeperServer() { Stop(); }

  std::string ConnectString() const { return "127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }
  const std::filesystem::path& log_path() const { return log_; }

  // Starts the JVM; readiness is for the caller to await (a client connecting).
  bool Start() {
    std::filesystem::create_directories(dir_ / "data");
    std::filesystem::path config = dir_ / "zoo.cfg";
    {
      std::ofstream out(config);
      out << "tickTime=500\n"  // session timeouts from 1 s to 10 s
          << "dataDir=" << (dir_ / "data").string() << "\n"
          << "clientPort=" << port_ << "\n"
          << "clientPortAddress=127.0.0.1\n"
          << "maxClientCnxns=0\n"
          << "admin.enableServer=false\n"
          << "4lw.commands.whitelist=srvr\n";
    }
    log_ = dir_ / "server.log";
    std::string classpath = kZooKeeperJar;
    if (::access(kSlf4jSimpleJar, R_OK) == 0) classpath += std::string(":") + kSlf4jSimpleJar;
    std::vector<std::string> args = {java_,
                                     "-Xmx128m",
                                     "-XX:+UseSerialGC",
                                     "-XX:TieredStopAtLevel=1",
                                     "-Dzookeeper.admin.enableServer=false",
                                     "-Dorg.slf4j.simpleLogger.showDateTime=true",
                                     "-cp",
                                     classpath,
                                     "org.apache.zookeeper.server.ZooKeeperServerMain",
                                     config.string()};
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) return false;
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(log_fd);
    return pid_ > 0;
  }

  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }

  // ZooKeeper's `srvr` command answers "Zookeeper version: ..." once the
  // server serves requests; before that the port is closed or the answer
  // says it is not serving. (A client that connects too early is dropped and
  // waits out its connect timeout, so this probe comes first.)
  bool Serving() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    timeval limit{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    std::string reply;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
        ::send(fd, "srvr", 4, MSG_NOSIGNAL) == 4) {
      char buffer[512];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0;) {
        reply.append(buffer, static_cast<size_t>(n));
      }
    }
    ::close(fd);
    return reply.starts_with("Zookeeper version:");
  }

  // Probes until the server serves, exits, or `timeout` passes.
  bool AwaitServing(milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (Serving()) return true;
      if (!Running()) return false;
      // Paces the probe only; no step relies on this pause having passed.
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  // Kills the server at once, like a crash; what it acknowledged is on disk.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Forgets everything: the sessions and nodes of a lost ensemble.
  void WipeData() { std::filesystem::remove_all(dir_ / "data"); }

  std::string LogTail(size_t lines) const {
    std::ifstream in(log_);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);) all.push_back(line);
    std::string out;
    for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
      out += all[i] + "\n";
    }
    return out;
  }

 private:
  std::string java_;
  std::filesystem::path dir_;
  uint16_t port_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
};

// A plain ZooKeeper client for arranging nodes, as a master would.
class ZkClient {
 public:
  ZkClient() = default;
  ~ZkClient() {
    if (handle_ != nullptr) zookeeper_close(handle_);
  }
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  // Connects and waits for the session; `alive` is asked between waits so
  // that a server that died is noticed at once. Bounded by `timeout`.
  bool Connect(const std::string& servers, milliseconds timeout,
               const std::function<bool()>& alive) {
    handle_ = zookeeper_init2(servers.c_str(), &ZkClient::OnEvent, 4000, nullptr, this, 0,
                              std::getenv("ML_ZK_CLIENT_LOG") ? nullptr : &ZkClient::DropLog);
    return handle_ != nullptr && AwaitConnected(timeout, alive);
  }

  bool AwaitConnected(milliseconds timeout, const std::function<bool()>& alive) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!connected_) {
      if (std::chrono::steady_clock::now() >= deadline || !alive()) return false;
      changed_.wait_for(lock, milliseconds(100), [this] { return connected_; });
    }
    return true;
  }

  // Digest authentication for this session; waits for ZooKeeper's answer.
  int AddDigest(const std::string& user_password) {
    std::unique_lock<std::mutex> lock(mutex_);
    auth_rc_.reset();
    lock.unlock();
    int rc = zoo_add_auth(handle_, "digest", user_password.data(),
                          static_cast<int>(user_password.size()), &ZkClient::OnAuth, this);
    if (rc != ZOK) return rc;
    lock.lock();
    changed_.wait_for(lock, seconds(10), [this] { return auth_rc_.has_value(); });
    return auth_rc_.value_or(ZOPERATIONTIMEOUT);
  }

  // Creates a node; returns its path (with the sequence number for
  // sequential modes), or "" and fails the test.
  std::string Create(const std::string& path, const std::string& data, int mode,
                     const ACL_vector* acl = &ZOO_OPEN_ACL_UNSAFE) {
    char created[512] = {};
    int rc = zoo_create(handle_, path.c_str(), data.data(), static_cast<int>(data.size()), acl,
                        mode, created, sizeof(created));
    EXPECT_EQ(rc, ZOK) << "create " << path << ": " << zerror(rc);
    return rc == ZOK ? std::string(created) : std::string();
  }

  void Delete(const std::string& path) {
    int rc = zoo_delete(handle_, path.c_str(), -1);
    EXPECT_EQ(rc, ZOK) << "delete " << path << ": " << zerror(rc);
  }

 private:
  static void OnEvent(zhandle_t*, int type, int state, const char*, void* context) {
    if (type != ZOO_SESSION_EVENT) return;
    auto* self = static_cast<ZkClient*>(context);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->connected_ = state == ZOO_CONNECTED_STATE;
    self->changed_.notify_all();
  }
  static void OnAuth(int rc, const void* data) {
    auto* self = static_cast<ZkClient*>(const_cast<void*>(data));
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->auth_rc_ = rc;
    self->changed_.notify_all();
  }
  static void DropLog(const char*) {}

  zhandle_t* handle_ = nullptr;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool connected_ = false;
  std::optional<int> auth_rc_;
};

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
    std::string java = FindOnPath("java");
    std::string missing;
    if (java.empty()) missing = "no `java` on PATH (Debian: default-jre-headless)";
    if (::access(kZooKeeperJar, R_OK) != 0) {
      missing +=
          std::string(missing.empty() ? "" : "; ") + "no " + kZooKeeperJar + " (Debian: zookeeper)";
    }
    if (!missing.empty()) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << "CI=true, so the ZooKeeper tests must run, but: " << missing
               << ". Run scripts/setup.sh.";
      }
      GTEST_SKIP() << "needs a real ZooKeeper server: " << missing;
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "zk_detector_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
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
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
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

// A real ZooKeeper server for tests, and a plain client to arrange nodes
// the way masters do. ZooKeeperServer runs Debian's `zookeeper` (needs
// Java) standalone on a loopback port in a directory of the test's, killed
// at the end or when the test process dies. MissingZooKeeper() says what is
// not installed; ML_REQUIRE_ZOOKEEPER turns that into a failure in CI
// (tests/fakes/ci.h) and a skip elsewhere. ML_ZK_CLIENT_LOG=1 shows the
// ZooKeeper client's log of ZkClient on stderr.
//
// Every wait is bounded; readiness is a served request, never a pause.
#ifndef MLAUNCH_TESTS_FAKES_ZOOKEEPER_SERVER_H_
#define MLAUNCH_TESTS_FAKES_ZOOKEEPER_SERVER_H_

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
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/fakes/ci.h"

namespace mlaunch::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

inline uint16_t PickFreeLoopbackPort() {
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

inline std::string FindOnPath(const std::string& program) {
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

  // The children of `path`, or nullopt when it cannot be listed.
  std::optional<std::vector<std::string>> Children(const std::string& path) {
    String_vector strings{};
    if (zoo_get_children(handle_, path.c_str(), 0, &strings) != ZOK) return std::nullopt;
    std::vector<std::string> children;
    for (int32_t i = 0; i < strings.count; ++i) children.emplace_back(strings.data[i]);
    deallocate_String_vector(&strings);
    return children;
  }

  // Watches `path` (which must exist) for its deletion; DeletedAt() then
  // says when ZooKeeper told this client. One watch at a time.
  bool WatchDeletion(const std::string& path) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      deleted_at_.reset();
    }
    Stat stat{};
    return zoo_wexists(handle_, path.c_str(), &ZkClient::OnNodeEvent, this, &stat) == ZOK;
  }
  // Waits up to `timeout` for the watched node's deletion.
  std::optional<std::chrono::steady_clock::time_point> DeletedAt(milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return deleted_at_.has_value(); });
    return deleted_at_;
  }

 private:
  static void OnEvent(zhandle_t*, int type, int state, const char*, void* context) {
    if (type != ZOO_SESSION_EVENT) return;
    auto* self = static_cast<ZkClient*>(context);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->connected_ = state == ZOO_CONNECTED_STATE;
    self->changed_.notify_all();
  }
  static void OnNodeEvent(zhandle_t*, int type, int, const char*, void* context) {
    if (type != ZOO_DELETED_EVENT) return;
    auto* self = static_cast<ZkClient*>(context);
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->deleted_at_ = std::chrono::steady_clock::now();
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
  std::optional<std::chrono::steady_clock::time_point> deleted_at_;
};

// What is missing to run a ZooKeeper server ("" when nothing is), and the
// Java to run it with.
inline std::string MissingZooKeeper(std::string* java) {
  *java = FindOnPath("java");
  std::string missing;
  if (java->empty()) missing = "no `java` on PATH (Debian: default-jre-headless)";
  if (::access(kZooKeeperJar, R_OK) != 0) {
    missing +=
        std::string(missing.empty() ? "" : "; ") + "no " + kZooKeeperJar + " (Debian: zookeeper)";
  }
  return missing;
}

// In SetUp(): fails in CI (tests/fakes/ci.h) or skips the test when
// ZooKeeper cannot run; otherwise sets *java. Use under ASSERT_NO_FATAL_FAILURE and return when
// IsSkipped().
#define ML_REQUIRE_ZOOKEEPER(java)                                                  \
  do {                                                                              \
    std::string ml_missing = ::mlaunch::testing::MissingZooKeeper(java);            \
    if (!ml_missing.empty()) {                                                      \
      if (::mlaunch::testing::InCi()) {                                             \
        FAIL() << "CI is set, so the ZooKeeper tests must run, but: " << ml_missing \
               << ". Run scripts/setup.sh.";                                        \
      }                                                                             \
      GTEST_SKIP() << "needs a real ZooKeeper server: " << ml_missing;              \
    }                                                                               \
  } while (false)

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_FAKES_ZOOKEEPER_SERVER_H_

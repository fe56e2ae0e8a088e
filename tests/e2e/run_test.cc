// End to end: the mesos-launch binary running specs on the embedded cluster
// it starts when no master is named (issue #5's acceptance runs). Each test
// runs real processes: mesos-launch, its in-process master and agent, and
// mesos-launch-executor children; it waits on their output lines, never on
// the clock alone.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common/sha256.h"
#include "tests/e2e/child_process.h"
#include "tests/executor/http_get.h"

namespace mlaunch::testing {
namespace {

using std::chrono::seconds;

const std::string kLaunch = std::string(ML_BINARY_DIR) + "/bin/mesos-launch";
// Environment that would name a master and so bypass the embedded cluster.
const std::vector<std::string> kNoMaster = {"MESOS_MASTER"};

struct Url {
  std::string host;
  std::uint16_t port = 0;
};

// "web.0  serving http://127.0.0.2:31000/" -> 127.0.0.2, 31000.
std::optional<Url> ServingUrl(const std::string& line) {
  static const std::regex url(R"(serving http://([0-9.]+):([0-9]+)/)");
  std::smatch m;
  if (!std::regex_search(line, m, url)) return std::nullopt;
  return Url{m[1], static_cast<std::uint16_t>(std::stoi(m[2]))};
}

// Whether a line of the live view is about `instance` (its first word) and
// says `word` ("RUNNING", "healthy", "serving ...").
bool Says(const std::string& line, const std::string& instance, const std::string& word) {
  return line.rfind(instance + " ", 0) == 0 && line.find(" " + word) != std::string::npos;
}

// The executors `launcher` runs (its agent forks them in-process).
std::vector<ProcessEntry> Executors(pid_t launcher) {
  std::vector<ProcessEntry> executors;
  for (const ProcessEntry& p : LiveChildren(launcher)) {
    if (p.name.rfind("mesos-launch-ex", 0) == 0) executors.push_back(p);
  }
  return executors;
}

// The TCP sockets process `pid` listens on, as "ip:port": its socket
// inodes (/proc/PID/fd) looked up among the LISTEN entries (state 0A) of
// /proc/PID/net/tcp and tcp6.
std::vector<std::string> ListeningSockets(pid_t pid) {
  std::set<std::string> inodes;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code error;
  for (const auto& fd : std::filesystem::directory_iterator(fds, error)) {
    const std::string target = std::filesystem::read_symlink(fd.path(), error).string();
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::vector<std::string> listening;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state != "0A" || inodes.count(inode) == 0) continue;
      const size_t colon = local.find(':');
      const unsigned long port = std::stoul(local.substr(colon + 1), nullptr, 16);
      std::string ip = local.substr(0, colon);
      if (ip.size() == 8) {  // IPv4, in the kernel's byte order
        const unsigned long raw = std::stoul(ip, nullptr, 16);
        ip = std::to_string(raw & 0xFF) + "." + std::to_string((raw >> 8) & 0xFF) + "." +
             std::to_string((raw >> 16) & 0xFF) + "." + std::to_string(raw >> 24);
      }
      listening.push_back(ip + ":" + std::to_string(port));
    }
  }
  return listening;
}

// The rest of `line` after `marker`, or "".
std::string After(const std::string& line, const std::string& marker) {
  const std::size_t at = line.find(marker);
  return at == std::string::npos ? "" : line.substr(at + marker.size());
}

// The contents of every file called `name` under `root` (the sandboxes'
// stdout, say), read now.
std::vector<std::string> SandboxFiles(const std::string& root, const std::string& name) {
  std::vector<std::string> contents;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(
           root, std::filesystem::directory_options::skip_permission_denied, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (it->path().filename() != name || !it->is_regular_file(error)) continue;
    std::ifstream in(it->path());
    contents.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return contents;
}

class EmbeddedRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { BecomeSubreaper(); }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ml-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void ServeSiteFromAnArchive(const std::string& artifact_keys, int instances);

  std::string WriteSpec(const std::string& text) {
    const std::string path = (dir_ / "spec.yaml").string();
    std::ofstream(path) << text;
    return path;
  }

  // After the launcher exited: nothing it started lives on (orphans come
  // to this process, the subreaper).
  void ExpectNoProcessLeft(const ChildProcess& launcher) {
    std::vector<ProcessEntry> left;
    EXPECT_TRUE(Eventually([&] { return (left = LiveChildren()).empty(); }, seconds(5)))
        << "still running: " << (left.empty() ? "" : left[0].name) << "\n"
        << launcher.output();
  }

  std::filesystem::path dir_;
};

TEST_F(EmbeddedRun, WebserverSpecServesUntilInterruptedThenLeavesNothing) {
  ChildProcess launcher({kLaunch, std::string(ML_SOURCE_DIR) + "/specs/webserver.yaml"}, kNoMaster);
  ASSERT_TRUE(launcher.WaitForText("started an embedded cluster", seconds(10)))
      << launcher.output();
  std::optional<std::string> serving = launcher.WaitForText("serving http://", seconds(30));
  ASSERT_TRUE(serving) << launcher.output();
  std::optional<Url> url = ServingUrl(*serving);
  ASSERT_TRUE(url) << *serving;

  GetResponse response = HttpGet(url->port, "/", url->host);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "Hello from Server");
  ASSERT_EQ(Executors(launcher.pid()).size(), 1u);
  // The executor opens the task's port, on the agent's address, and nothing else.
  EXPECT_EQ(ListeningSockets(Executors(launcher.pid())[0].pid),
            std::vector<std::string>{url->host + ":" + std::to_string(url->port)});

  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
  EXPECT_NE(launcher.output().find("KILLED"), std::string::npos) << launcher.output();
  ExpectNoProcessLeft(launcher);
  EXPECT_EQ(HttpGet(url->port, "/", url->host).status, 0) << "still answering after the stop";
}

TEST_F(EmbeddedRun, ExecutorKilledWithSigkillIsRelaunchedAndServesAgain) {
  const std::string spec = WriteSpec(R"(version: 1
tasks:
  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [{ name: http }]
    service: { type: http, port: http, payload: "again" }
    restart: { policy: always, backoff: { initial: 100ms } }
)");
  ChildProcess launcher({kLaunch, spec}, kNoMaster);
  std::optional<std::string> first = launcher.WaitForText("serving http://", seconds(30));
  ASSERT_TRUE(first) << launcher.output();
  std::vector<ProcessEntry> executors = Executors(launcher.pid());
  ASSERT_EQ(executors.size(), 1u) << launcher.output();
  const pid_t killed = executors[0].pid;
  ASSERT_EQ(::kill(killed, SIGKILL), 0);

  ASSERT_TRUE(launcher.WaitForLine([](const std::string& l) { return Says(l, "web.0", "FAILED"); },
                                   seconds(30)))
      << launcher.output();
  std::optional<std::string> again = launcher.WaitForText("serving http://", seconds(30));
  ASSERT_TRUE(again) << launcher.output();
  std::optional<Url> url = ServingUrl(*again);
  ASSERT_TRUE(url);
  EXPECT_EQ(HttpGet(url->port, "/", url->host).body, "again");
  executors = Executors(launcher.pid());
  ASSERT_EQ(executors.size(), 1u);
  EXPECT_NE(executors[0].pid, killed);
  EXPECT_NE(launcher.output().find("was killed by SIGKILL"), std::string::npos)
      << launcher.output();

  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
  ExpectNoProcessLeft(launcher);
}

TEST_F(EmbeddedRun, PrimaryAndReplicasComeUpInOrder) {
  ChildProcess launcher({kLaunch, std::string(ML_SOURCE_DIR) + "/specs/primary-replicas.yaml"},
                        kNoMaster);
  std::optional<std::string> started =
      launcher.WaitForText("started an embedded cluster", seconds(10));
  ASSERT_TRUE(started) << launcher.output();
  const std::string sandboxes = After(*started, "sandboxes under ");
  ASSERT_FALSE(sandboxes.empty()) << *started;
  int replicas_running = 0;
  bool primary_healthy = false;
  std::string primary_addr, order_problem;
  auto line = launcher.WaitForLine(
      [&](const std::string& l) {
        static const std::regex launched(R"(LAUNCHED on ([0-9.]+) http=([0-9]+))");
        std::smatch m;
        if (Says(l, "primary.0", "LAUNCHED") && std::regex_search(l, m, launched)) {
          primary_addr = m[1].str() + ":" + m[2].str();
        }
        if (Says(l, "primary.0", "healthy")) primary_healthy = true;
        for (const char* replica : {"replica.0", "replica.1", "replica.2"}) {
          if (Says(l, replica, "LAUNCHED") && !primary_healthy) order_problem = l;
          if (Says(l, replica, "RUNNING")) ++replicas_running;
        }
        return replicas_running == 3;
      },
      seconds(60));
  ASSERT_TRUE(line) << launcher.output();
  EXPECT_TRUE(primary_healthy);
  EXPECT_EQ(order_problem, "") << "a replica launched before the primary was healthy";
  ASSERT_FALSE(primary_addr.empty()) << launcher.output();

  // The replicas found the primary through ${tasks.primary.addr.http}: each
  // fetched its data.json from that address and said so on its stdout.
  std::set<std::string> synced;
  const bool all_synced = Eventually(
      [&] {
        for (const std::string& text : SandboxFiles(sandboxes, "stdout")) {
          for (const char* replica : {"0", "1", "2"}) {
            if (text.find(std::string("replica ") + replica + " synced from " + primary_addr) !=
                std::string::npos) {
              synced.insert(replica);
            }
          }
        }
        return synced.size() == 3;
      },
      seconds(30));
  EXPECT_TRUE(all_synced) << synced.size() << " of 3 replicas synced from " << primary_addr << "\n"
                          << launcher.output();

  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
  ExpectNoProcessLeft(launcher);
  EXPECT_FALSE(std::filesystem::exists(sandboxes)) << "a clean run leaves no sandbox behind";
}

TEST_F(EmbeddedRun, KilledWithSigkillItLeavesNoExecutorOrCommandBehind) {
  const std::string spec = WriteSpec(R"(version: 1
tasks:
  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [{ name: http }]
    service: { type: http, port: http, payload: "x" }
  - name: job
    resources: { cpus: 0.1, mem: 32 }
    command: sleep 600
)");
  ChildProcess launcher({kLaunch, spec}, kNoMaster);
  bool serving = false, running = false;
  ASSERT_TRUE(launcher.WaitForLine(
      [&](const std::string& l) {
        serving = serving || Says(l, "web.0", "serving");
        running = running || Says(l, "job.0", "RUNNING");
        return serving && running;
      },
      seconds(30)))
      << launcher.output();
  ASSERT_EQ(Executors(launcher.pid()).size(), 2u) << launcher.output();

  launcher.Signal(SIGKILL);  // no chance to stop anything itself
  EXPECT_EQ(launcher.WaitForExit(seconds(10)), 128 + SIGKILL);
  ExpectNoProcessLeft(launcher);
}

TEST_F(EmbeddedRun, SpecTooLargeForTheMachineSaysWhyAndExits3) {
  const std::string spec = WriteSpec(R"(version: 1
timeouts: { placement: 2s }
tasks:
  - name: huge
    resources: { cpus: 0.1, mem: 900TB }
    service: { type: http, port: http, payload: "never" }
    ports: [{ name: http }]
)");
  ChildProcess launcher({kLaunch, spec}, kNoMaster);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 3) << launcher.output();
  EXPECT_NE(launcher.output().find("not placed"), std::string::npos) << launcher.output();
  // A failed run keeps its sandboxes, and says where.
  const std::string kept =
      After(launcher.output(), "the sandboxes (the tasks' stdout and stderr) are kept under ");
  EXPECT_TRUE(!kept.empty() && std::filesystem::is_directory(kept.substr(0, kept.find('\n'))))
      << launcher.output();
  std::error_code ignored;
  if (!kept.empty()) std::filesystem::remove_all(kept.substr(0, kept.find('\n')), ignored);
  EXPECT_NE(launcher.output().find("1 short on mem (best "), std::string::npos)
      << launcher.output();
  EXPECT_NE(launcher.output().find(" < 900.0 TB incl. executor"), std::string::npos)
      << launcher.output();
  ExpectNoProcessLeft(launcher);
}

// Without a master, mesos-launch needs the executor installed beside it for
// its embedded agent to run; a copy of mesos-launch alone says so (exit 64).
TEST_F(EmbeddedRun, WithoutAnExecutorBesideItSaysWhatToPassAndExits64) {
  const std::string spec =
      WriteSpec("version: 1\ntasks:\n  - {name: web, ports: [http], service: {payload: hi}}\n");
  const std::filesystem::path alone = dir_ / "mesos-launch";
  std::filesystem::copy_file(kLaunch, alone);
  ChildProcess launcher({alone.string(), spec}, kNoMaster);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 64) << launcher.output();
  EXPECT_NE(launcher.output().find("no mesos-launch-executor beside this program"),
            std::string::npos)
      << launcher.output();
  EXPECT_NE(launcher.output().find("--executor-uri"), std::string::npos) << launcher.output();
  ExpectNoProcessLeft(launcher);
}

// The embedded cluster needs a work directory under TMPDIR; where none can
// be made (even by root: /proc), mesos-launch says why and exits 2.
TEST_F(EmbeddedRun, EmbeddedClusterThatCannotStartSaysWhyAndExits2) {
  const std::string spec =
      WriteSpec("version: 1\ntasks:\n  - {name: web, ports: [http], service: {payload: hi}}\n");
  ChildProcess launcher({"/usr/bin/env", "TMPDIR=/proc", kLaunch, spec}, kNoMaster);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 2) << launcher.output();
  EXPECT_NE(launcher.output().find("the embedded cluster cannot start: cannot create a work "
                                   "directory under /proc"),
            std::string::npos)
      << launcher.output();
  EXPECT_NE(launcher.output().find("set TMPDIR"), std::string::npos) << launcher.output();
  ExpectNoProcessLeft(launcher);
}

// Two runs on one machine, or any program holding a port: the embedded
// agent offers only the ports free when it starts, so a port in use is
// never given to a task (which could only fail on it, again and again).
TEST_F(EmbeddedRun, APortInUseIsNotOffered) {
  const int held = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(held, 0);
  const int on = 1;  // an earlier test's connections may be in TIME_WAIT
  ::setsockopt(held, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(31000);
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.2", &address.sin_addr), 1);
  ASSERT_EQ(::bind(held, reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
      << "127.0.0.2:31000 is already in use on this machine: " << std::strerror(errno);
  ASSERT_EQ(::listen(held, 1), 0);

  ChildProcess launcher({kLaunch, std::string(ML_SOURCE_DIR) + "/specs/webserver.yaml"}, kNoMaster);
  std::optional<std::string> started =
      launcher.WaitForText("started an embedded cluster", seconds(10));
  ASSERT_TRUE(started) << launcher.output();
  EXPECT_NE(started->find("ports:[31001-32000]"), std::string::npos) << *started;
  std::optional<std::string> serving = launcher.WaitForText("serving http://", seconds(30));
  ASSERT_TRUE(serving) << launcher.output();
  std::optional<Url> url = ServingUrl(*serving);
  ASSERT_TRUE(url) << *serving;
  EXPECT_NE(url->port, 31000);
  EXPECT_EQ(HttpGet(url->port, "/", url->host).body, "Hello from Server");
  EXPECT_EQ(launcher.output().find("Address already in use"), std::string::npos)
      << launcher.output();
  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
  ::close(held);
  ExpectNoProcessLeft(launcher);
}

// The static-files service end to end: an archive fetched from a file://
// URI, unpacked by the agent, its directory served (index.html for "/"),
// nothing outside it.
// A site in a tar.gz artifact; `artifact_keys` are added to its entry.
void EmbeddedRun::ServeSiteFromAnArchive(const std::string& artifact_keys, int instances) {
  std::filesystem::create_directories(dir_ / "content" / "site");
  std::ofstream(dir_ / "content" / "site" / "index.html") << "<h1>static</h1>";
  std::ofstream(dir_ / "content" / "site" / "notes.txt") << "plain";
  ChildProcess tar({"/bin/tar", "-czf", (dir_ / "site.tar.gz").string(), "-C",
                    (dir_ / "content").string(), "site"});
  ASSERT_EQ(tar.WaitForExit(seconds(30)), 0) << tar.output();
  std::string keys = artifact_keys;
  if (keys.find("${digest}") != std::string::npos) {
    Result<std::string> digest = Sha256OfFile((dir_ / "site.tar.gz").string());
    ASSERT_TRUE(digest.ok());
    keys.replace(keys.find("${digest}"), 9, digest.value());
  }
  const std::string spec = WriteSpec(
      "version: 1\n"
      "tasks:\n"
      "  - name: site\n"
      "    instances: " +
      std::to_string(instances) +
      "\n"
      "    resources: { cpus: 0.1, mem: 32 }\n"
      "    ports: [{ name: http }]\n"
      "    artifacts: [{ uri: \"file://" +
      (dir_ / "site.tar.gz").string() + "\", extract: true" + keys +
      " }]\n"
      "    service: { type: http, port: http, root: site }\n");
  ChildProcess launcher({kLaunch, spec}, kNoMaster);
  for (int i = 0; i < instances; ++i) {
    std::optional<std::string> serving = launcher.WaitForText("serving http://", seconds(30));
    ASSERT_TRUE(serving) << launcher.output();
    std::optional<Url> url = ServingUrl(*serving);
    ASSERT_TRUE(url) << *serving;
    GetResponse index = HttpGet(url->port, "/", url->host);
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<h1>static</h1>");
    EXPECT_EQ(HttpGet(url->port, "/notes.txt", url->host).body, "plain");
    EXPECT_EQ(HttpGet(url->port, "/../site.tar.gz", url->host).status, 404);
  }
  launcher.Signal(SIGINT);
  EXPECT_EQ(launcher.WaitForExit(seconds(30)), 0) << launcher.output();
  ExpectNoProcessLeft(launcher);
}

TEST_F(EmbeddedRun, StaticSiteFromAnArchiveIsServed) { ServeSiteFromAnArchive("", 1); }

// Checked before extraction, also when the archive comes from the agent's
// fetch cache (the second instance's does).
TEST_F(EmbeddedRun, AChecksummedArchiveFromTheFetchCacheIsCheckedThenServed) {
  ServeSiteFromAnArchive(", cache: true, checksum: \"sha256:${digest}\"", 2);
}

}  // namespace
}  // namespace mlaunch::testing

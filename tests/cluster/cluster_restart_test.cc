// Issue #5 (failover end to end) and fault #1 of issue #8: mesos-launch
// runs a service of a checkpointing framework on mesos-launch-cluster; the
// cluster is SIGKILLed and started again with the same --work-dir and
// --port, kRestarts times. Each time the very same executor process keeps
// serving, mesos-launch stays up and re-subscribes with the same framework
// id, and the master shows exactly one task, TASK_RUNNING, with no second
// executor started. Then SIGINT stops mesos-launch (exit 0) and SIGTERM the
// cluster (exit 0, no executor left). Every wait polls a real condition
// under a deadline.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/child_process.h"
#include "tests/fakes/temp_dir.h"

namespace {

using mlaunch::testing::SpawnWithOutputTo;

// Fault test #1 of issue 8: 20 cycles (each well under a second).
constexpr int kRestarts = 20;
constexpr auto kWait = std::chrono::seconds(30);

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// GET http://host:port/path: the status and body, nullopt when unreachable.
std::optional<std::pair<int, std::string>> Get(const std::string& host, const std::string& port,
                                               const std::string& path) {
  boost::system::error_code error;
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(5));
  auto endpoints = resolver.resolve(host, port, error);
  if (error) return std::nullopt;
  stream.connect(endpoints, error);
  if (error) return std::nullopt;
  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, host);
  http::write(stream, request, error);
  if (error) return std::nullopt;
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, error);
  if (error) return std::nullopt;
  return std::make_pair(static_cast<int>(response.result_int()), response.body());
}

// A port free on 127.0.0.2 now: the agents offer only it, so tests running
// in parallel do not offer each other's service ports.
std::uint16_t FreeServicePort() {
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.2"), 0));
  return acceptor.local_endpoint().port();
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool WaitUntil(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    // Poll the condition again shortly; no event to wait on across processes.
    struct timespec pause {
      0, 50'000'000
    };
    nanosleep(&pause, nullptr);
  }
  return condition();
}

// The rest of the first line of `file` that starts with `prefix` (or holds
// it, with `anywhere`).
std::optional<std::string> LineAfter(const std::string& file, const std::string& prefix) {
  std::istringstream lines(ReadFile(file));
  std::string line;
  while (std::getline(lines, line)) {
    const std::size_t at = line.find(prefix);
    if (at != std::string::npos) return line.substr(at + prefix.size());
  }
  return std::nullopt;
}

int CountLines(const std::string& file, const std::string& needle) {
  std::istringstream lines(ReadFile(file));
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) count += line.find(needle) != std::string::npos;
  return count;
}

// Processes whose working directory is under `dir`: the executors.
std::set<pid_t> ProcessesUnder(const std::string& dir) {
  std::set<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::error_code error;
    const auto cwd =
        std::filesystem::read_symlink("/proc/" + std::string(entry->d_name) + "/cwd", error);
    if (error) continue;
    // A zombie has no cwd any more; a live one in a sandbox of ours counts.
    if (cwd.string().rfind(dir, 0) == 0) found.insert(pid);
  }
  closedir(proc);
  return found;
}

bool Ends(pid_t pid) {
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd ended{fd, POLLIN, 0};
  const int ready = poll(&ended, 1, 10'000);
  close(fd);
  return ready == 1;
}

std::optional<int> ExitCode(pid_t pid) {
  int status = 0;
  if (!WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; })) return std::nullopt;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The live children of `parent` named `comm`.
std::vector<pid_t> ChildrenNamed(pid_t parent, const std::string& comm) {
  std::vector<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    const std::string stat = ReadFile("/proc/" + std::string(entry->d_name) + "/stat");
    const std::size_t open = stat.find('(');
    const std::size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z' && stat.substr(open + 1, close - open - 1) == comm) {
      found.push_back(pid);
    }
  }
  closedir(proc);
  return found;
}

// The live (not zombie) processes of process group `pgid`. (Zombies stay
// until their parent, here init, reaps them: they run nothing.)
std::set<pid_t> LiveMembersOf(pid_t pgid) {
  std::set<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    const std::string stat = ReadFile("/proc/" + std::string(entry->d_name) + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    pid_t ppid = 0, pgrp = 0;
    rest >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z' && state != 'X') found.insert(pid);
  }
  closedir(proc);
  return found;
}

class ClusterRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_dir_ = dir_ + "/work";
    const std::string port = std::to_string(FreeServicePort());
    resources_ = "cpus:2;mem:2048;disk:1000;ports:[" + port + "-" + port + "]";
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
    for (pid_t pid : {launcher_, cluster_}) {
      if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
    }
    for (pid_t pid : ProcessesUnder(work_dir_)) kill(-pid, SIGKILL);
  }

  // Starts the cluster; returns its "http://127.0.0.1:PORT".
  std::string StartCluster(const std::string& port, int run) {
    const std::string out = dir_ + "/cluster" + std::to_string(run) + ".out";
    cluster_ = SpawnWithOutputTo(
        {ML_BINARY_DIR "/bin/mesos-launch-cluster", "--port", port, "--agents", "1", "--work-dir",
         work_dir_, "--allocation-interval", "0.1", "--agent-resources", resources_},
        out, dir_ + "/cluster.err");
    std::optional<std::string> url;
    EXPECT_TRUE(WaitUntil([&] {
      return (url = LineAfter(out, "master listening on ")).has_value();
    })) << ReadFile(dir_ + "/cluster.err");
    return url.value_or("");
  }

  std::optional<nlohmann::json> State() {
    auto got = Get("127.0.0.1", port_, "/master/state");
    if (!got || got->first != 200) return std::nullopt;
    nlohmann::json json = nlohmann::json::parse(got->second, nullptr, false);
    if (json.is_discarded()) return std::nullopt;
    return json;
  }

  // The framework re-subscribed with `framework_id`, and its one task runs.
  bool OneRunningTaskOf(const std::string& framework_id) {
    auto state = State();
    if (!state) return false;
    const auto& frameworks = (*state)["frameworks"];
    if (!frameworks.is_array() || frameworks.size() != 1) return false;
    const auto& framework = frameworks[0];
    if (framework.value("id", "") != framework_id || !framework.value("active", false)) {
      return false;
    }
    const auto& tasks = framework["tasks"];
    return tasks.is_array() && tasks.size() == 1 && tasks[0].value("state", "") == "TASK_RUNNING";
  }

  bool Serving(const std::string& host, const std::string& port) {
    auto got = Get(host, port, "/");
    return got && got->first == 200 && got->second == "still here";
  }

  const mlaunch::testing::TempDir temp_{"cluster_restart_test"};
  const std::string dir_ = temp_.path();
  std::string work_dir_;
  std::string port_;
  std::string resources_;
  pid_t cluster_ = -1;
  pid_t launcher_ = -1;
};

TEST_F(ClusterRestartTest, SigkilledClusterComesBackToTheSameRunningExecutor) {
  const std::string url = StartCluster("0", 0);
  ASSERT_FALSE(url.empty());
  port_ = url.substr(url.rfind(':') + 1);
  const std::string launcher_out = dir_ + "/launcher.out";
  launcher_ =
      SpawnWithOutputTo({ML_BINARY_DIR "/bin/mesos-launch", "--master", url, "--executor-uri",
                         "file://" ML_BINARY_DIR "/bin/mesos-launch-executor", "--state-dir",
                         dir_ + "/state", dir_ + "/spec.yaml"},
                        launcher_out, dir_ + "/launcher.err");
  std::optional<std::string> service;
  ASSERT_TRUE(WaitUntil([&] {
    return (service = LineAfter(launcher_out, "serving http://")).has_value();
  })) << ReadFile(launcher_out)
      << ReadFile(dir_ + "/launcher.err");
  const std::string service_host = service->substr(0, service->find(':'));
  const std::string service_port =
      service->substr(service->find(':') + 1, service->find('/') - service->find(':') - 1);
  ASSERT_TRUE(WaitUntil([&] { return Serving(service_host, service_port); }));
  const std::string framework_id = LineAfter(launcher_out, "subscribed framework=").value_or("");
  ASSERT_FALSE(framework_id.empty());
  ASSERT_TRUE(WaitUntil([&] { return OneRunningTaskOf(framework_id); }));
  const std::set<pid_t> executors = ProcessesUnder(work_dir_);
  ASSERT_EQ(executors.size(), 1u);
  const pid_t executor = *executors.begin();

  const auto started = std::chrono::steady_clock::now();
  for (int cycle = 1; cycle <= kRestarts; ++cycle) {
    SCOPED_TRACE("restart " + std::to_string(cycle));
    ASSERT_EQ(kill(cluster_, SIGKILL), 0);
    ASSERT_EQ(waitpid(cluster_, nullptr, 0), cluster_);
    cluster_ = -1;
    EXPECT_TRUE(Serving(service_host, service_port));  // while the cluster is down

    ASSERT_EQ(StartCluster(port_, cycle), url);
    ASSERT_TRUE(WaitUntil([&] {
      return CountLines(launcher_out, "re-subscribed framework=" + framework_id) == cycle;
    })) << ReadFile(launcher_out);
    ASSERT_TRUE(WaitUntil([&] { return OneRunningTaskOf(framework_id); }))
        << (State() ? State()->dump() : "no state") << ReadFile(dir_ + "/cluster.err");
    // The executor itself came back to its agent (not timed out).
    ASSERT_TRUE(WaitUntil([&] {
      return CountLines(dir_ + "/cluster.err", "finished recovery: 1 of 1 executors") == cycle;
    })) << ReadFile(dir_ + "/cluster.err");
    EXPECT_EQ(ProcessesUnder(work_dir_), std::set<pid_t>{executor});
    EXPECT_TRUE(Serving(service_host, service_port));
    EXPECT_EQ(waitpid(launcher_, nullptr, WNOHANG), 0);  // still running
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << kRestarts << " kill/restart cycles took " << took.count() << " ms\n";
  EXPECT_EQ(CountLines(launcher_out, "LAUNCHED"), 1) << ReadFile(launcher_out);

  ASSERT_EQ(kill(launcher_, SIGINT), 0);
  EXPECT_EQ(ExitCode(launcher_), 0) << ReadFile(launcher_out);
  launcher_ = -1;
  EXPECT_EQ(CountLines(launcher_out, "KILLED"), 1);
  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  EXPECT_EQ(ExitCode(cluster_), 0);
  cluster_ = -1;
  EXPECT_TRUE(Ends(executor));
  EXPECT_TRUE(ProcessesUnder(work_dir_).empty());
}

TEST_F(ClusterRestartTest, RestartAfterTheExecutorDiedReportsItsTaskFailed) {
  const std::string url = StartCluster("0", 0);
  ASSERT_FALSE(url.empty());
  port_ = url.substr(url.rfind(':') + 1);
  const std::string launcher_out = dir_ + "/launcher.out";
  launcher_ =
      SpawnWithOutputTo({ML_BINARY_DIR "/bin/mesos-launch", "--master", url, "--executor-uri",
                         "file://" ML_BINARY_DIR "/bin/mesos-launch-executor", "--state-dir",
                         dir_ + "/state", dir_ + "/spec.yaml"},
                        launcher_out, dir_ + "/launcher.err");
  ASSERT_TRUE(WaitUntil([&] { return LineAfter(launcher_out, "serving http://").has_value(); }))
      << ReadFile(launcher_out);
  const std::set<pid_t> executors = ProcessesUnder(work_dir_);
  ASSERT_EQ(executors.size(), 1u);
  const pid_t executor = *executors.begin();

  ASSERT_EQ(kill(cluster_, SIGKILL), 0);
  ASSERT_EQ(waitpid(cluster_, nullptr, 0), cluster_);
  cluster_ = -1;
  ASSERT_EQ(kill(-executor, SIGKILL), 0);
  ASSERT_TRUE(Ends(executor));
  ASSERT_EQ(StartCluster(port_, 1), url);
  // The scheduler hears of the failure and starts the instance again.
  ASSERT_TRUE(WaitUntil([&] { return CountLines(launcher_out, "FAILED") >= 1; }))
      << ReadFile(launcher_out);
  ASSERT_TRUE(WaitUntil([&] { return CountLines(launcher_out, "LAUNCHED") == 2; }))
      << ReadFile(launcher_out);

  ASSERT_EQ(kill(launcher_, SIGINT), 0);
  EXPECT_EQ(ExitCode(launcher_), 0) << ReadFile(launcher_out);
  launcher_ = -1;
  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  EXPECT_EQ(ExitCode(cluster_), 0);
  cluster_ = -1;
  EXPECT_TRUE(ProcessesUnder(work_dir_).empty());
}

// Issue #4: no orphan survives the cluster. A framework that does not
// checkpoint runs a custom executor that never subscribes nor ends by
// itself: a shell script that leaves a `sleep` in the background (in the
// executor's process group) and becomes another `sleep`.
class OrphanTest : public ClusterRestartTest {
 protected:
  void SetUp() override {
    ClusterRestartTest::SetUp();
    executor_ = dir_ + "/stuck-executor.sh";
    std::ofstream(executor_) << "#!/bin/sh\n"
                                "sleep 1000 &\n"
                                "echo $! > \"$MESOS_SANDBOX/background.pid\"\n"
                                "exec sleep 1000\n";
    std::filesystem::permissions(executor_, std::filesystem::perms::owner_all);
    std::ofstream(dir_ + "/stuck.yaml") << "version: 1\n"
                                           "framework:\n"
                                           "  checkpoint: false\n"
                                           "tasks:\n"
                                           "  - name: stuck\n"
                                           "    resources: { cpus: 0.1, mem: 32 }\n"
                                           "    command: sleep 1\n"
                                           "    executor:\n"
                                           "      command: " +
                                               executor_ + "\n";
  }

  // Starts the cluster and the framework; returns the executor's processes
  // (the script become `sleep`, and the background `sleep`) once both run.
  // The framework is SIGKILLed then, so nothing launches again.
  std::set<pid_t> StartStuckExecutor() {
    const std::string url = StartCluster("0", 0);
    EXPECT_FALSE(url.empty());
    port_ = url.substr(url.rfind(':') + 1);
    launcher_ = SpawnWithOutputTo({ML_BINARY_DIR "/bin/mesos-launch", "--master", url,
                                   "--state-dir", dir_ + "/state", dir_ + "/stuck.yaml"},
                                  dir_ + "/launcher.out", dir_ + "/launcher.err");
    std::set<pid_t> executor;
    EXPECT_TRUE(WaitUntil([&] {
      executor = ProcessesUnder(work_dir_);
      return executor.size() == 2 && !Background().empty();
    })) << ReadFile(dir_ + "/launcher.out")
        << ReadFile(dir_ + "/launcher.err") << ReadFile(dir_ + "/cluster.err");
    kill(launcher_, SIGKILL);
    waitpid(launcher_, nullptr, 0);
    launcher_ = -1;
    return executor;
  }

  // The pid the script wrote of its background `sleep`, as text.
  std::string Background() {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(work_dir_)) {
      if (entry.path().filename() == "background.pid") {
        std::string text = ReadFile(entry.path().string());
        while (!text.empty() && text.back() == '\n') text.pop_back();
        return text;
      }
    }
    return "";
  }

  std::string executor_;
};

TEST_F(OrphanTest, SigkilledClusterTakesNonCheckpointingExecutorsAndTheirGroupAlong) {
  const std::set<pid_t> executor = StartStuckExecutor();
  ASSERT_EQ(executor.size(), 2u);
  const pid_t leader =
      *executor.begin() == std::stoi(Background()) ? *executor.rbegin() : *executor.begin();
  EXPECT_EQ(getpgid(std::stoi(Background())), leader) << "one process group";
  // The agent registers the group with the guard just after starting it.
  std::vector<pid_t> guard;
  ASSERT_TRUE(
      WaitUntil([&] { return (guard = ChildrenNamed(cluster_, "ml-orphan-guard")).size() == 1; }));

  ASSERT_EQ(kill(cluster_, SIGKILL), 0);
  ASSERT_EQ(waitpid(cluster_, nullptr, 0), cluster_);
  cluster_ = -1;
  // The whole group goes, and then the guard.
  EXPECT_TRUE(WaitUntil([&] { return ProcessesUnder(work_dir_).empty(); }))
      << ProcessesUnder(work_dir_).size() << " executor processes left";
  EXPECT_TRUE(LiveMembersOf(leader).empty());
  EXPECT_TRUE(Ends(guard[0]));
}

TEST_F(OrphanTest, RestartKillsWhatANonCheckpointingExecutorLeftBehind) {
  const std::set<pid_t> executor = StartStuckExecutor();
  ASSERT_EQ(executor.size(), 2u);
  const pid_t background = std::stoi(Background());
  const pid_t leader = *executor.begin() == background ? *executor.rbegin() : *executor.begin();
  // Without its guard, the cluster's death ends only the executor itself
  // (PR_SET_PDEATHSIG): its background `sleep` lives on in its group.
  // The agent registers the group with the guard just after starting it.
  std::vector<pid_t> guard;
  ASSERT_TRUE(
      WaitUntil([&] { return (guard = ChildrenNamed(cluster_, "ml-orphan-guard")).size() == 1; }));
  ASSERT_EQ(kill(guard[0], SIGKILL), 0);
  ASSERT_TRUE(Ends(guard[0]));
  ASSERT_EQ(kill(cluster_, SIGKILL), 0);
  ASSERT_EQ(waitpid(cluster_, nullptr, 0), cluster_);
  cluster_ = -1;
  ASSERT_TRUE(WaitUntil([&] { return ProcessesUnder(work_dir_) == std::set<pid_t>{background}; }))
      << ProcessesUnder(work_dir_).size() << " executor processes";
  EXPECT_EQ(LiveMembersOf(leader), std::set<pid_t>{background});

  // Started again on the same work dir, the agent kills the group.
  ASSERT_FALSE(StartCluster(port_, 1).empty());
  EXPECT_TRUE(Ends(background));
  EXPECT_TRUE(ProcessesUnder(work_dir_).empty());
  EXPECT_TRUE(LiveMembersOf(leader).empty());
  EXPECT_EQ(CountLines(dir_ + "/cluster.err", "killed 1 executors it could not recover"), 1)
      << ReadFile(dir_ + "/cluster.err");
  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  EXPECT_EQ(ExitCode(cluster_), 0);
  cluster_ = -1;
}

}  // namespace

// FaultRun: the fixture of the end-to-end fault tests (issue #8, Faults):
// a real mesos-launch-cluster process and a real mesos-launch running a spec
// against it with `--output json`, each writing its output to files in a
// fresh directory, so a test can read the launcher's events (one JSON object
// per line, with the launcher's own clock in "time") and the master's
// /master/state while it breaks things. TearDown kills whatever is left,
// executors included (found by their working directory, a sandbox).
//
// Every wait polls a real condition under a deadline: there is no event to
// block on across processes.
#ifndef MLAUNCH_TESTS_E2E_FAULT_RUN_H_
#define MLAUNCH_TESTS_E2E_FAULT_RUN_H_

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/child_process.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 exchange on a new connection; nothing when it fails.
inline std::optional<HttpReply> HttpExchange(const std::string& host, std::uint16_t port,
                                             boost::beast::http::verb method,
                                             const std::string& path, const std::string& body = "",
                                             const std::string& content_type = "") {
  namespace http = boost::beast::http;
  boost::system::error_code error;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(5));
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(host), port), error);
  if (error) return std::nullopt;
  http::request<http::string_body> request(method, path, 11);
  request.set(http::field::host, host);
  if (!content_type.empty()) request.set(http::field::content_type, content_type);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request, error);
  if (error) return std::nullopt;
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, error);
  if (error) return std::nullopt;
  return HttpReply{static_cast<int>(response.result_int()), response.body()};
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Polls `condition` every 20 ms until it holds or `timeout` passes.
inline bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A port free on `ip` now (the agents offer only it, so tests running at the
// same time do not hand out each other's ports).
inline std::uint16_t FreePort(const std::string& ip) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(ip), 0));
  return acceptor.local_endpoint().port();
}

// Live processes whose working directory is under `dir`: the executors.
inline std::set<pid_t> ProcessesUnder(const std::string& dir) {
  std::set<pid_t> found;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return found;
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::error_code error;
    const auto cwd =
        std::filesystem::read_symlink("/proc/" + std::string(entry->d_name) + "/cwd", error);
    if (!error && cwd.string().rfind(dir, 0) == 0) found.insert(pid);
  }
  closedir(proc);
  return found;
}

class FaultRun : public ::testing::Test {
 protected:
  static constexpr auto kWait = std::chrono::seconds(30);

  void SetUp() override { work_dir_ = dir_ + "/work"; }
  void TearDown() override {
    for (pid_t pid : {launcher_, cluster_}) {
      if (pid > 0 && kill(pid, SIGKILL) == 0) waitpid(pid, nullptr, 0);
    }
    for (pid_t pid : ProcessesUnder(work_dir_)) kill(-pid, SIGKILL);
    for (pid_t pid : ProcessesUnder(work_dir_)) kill(pid, SIGKILL);
    if (HasFailure()) temp_.Keep();
  }

  std::string WriteSpec(const std::string& text) {
    const std::string path = dir_ + "/spec.yaml";
    std::ofstream(path) << text;
    return path;
  }

  // Starts mesos-launch-cluster on a free port with `flags`; returns its
  // "http://127.0.0.1:PORT" (and sets master_port_).
  std::string StartCluster(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {ML_BINARY_DIR "/bin/mesos-launch-cluster", "--port", "0",
                                     "--work-dir", work_dir_};
    args.insert(args.end(), flags.begin(), flags.end());
    // A cluster started again must not be taken for the one before: the
    // child truncates the file only once it runs.
    std::error_code ignored;
    std::filesystem::remove(dir_ + "/cluster.out", ignored);
    cluster_ = SpawnWithOutputTo(args, dir_ + "/cluster.out", dir_ + "/cluster.err");
    std::string url;
    EXPECT_TRUE(WaitUntil(
        [&] {
          url = After(ReadFile(dir_ + "/cluster.out"), "master listening on ");
          return !url.empty();
        },
        kWait))
        << ReadFile(dir_ + "/cluster.err");
    if (!url.empty())
      master_port_ = static_cast<std::uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
    return url;
  }

  // Runs mesos-launch on `spec` against `master_url`, events as JSON lines.
  void StartLauncher(const std::string& master_url, const std::string& spec) {
    launcher_ =
        SpawnWithOutputTo({ML_BINARY_DIR "/bin/mesos-launch", "--master", master_url,
                           "--executor-uri", "file://" ML_BINARY_DIR "/bin/mesos-launch-executor",
                           "--state-dir", dir_ + "/state", "--output", "json", spec},
                          dir_ + "/launcher.out", dir_ + "/launcher.err");
  }

  // The launcher's events so far (complete lines only).
  std::vector<nlohmann::json> Events() const {
    std::vector<nlohmann::json> events;
    std::istringstream lines(ReadFile(dir_ + "/launcher.out"));
    std::string line;
    while (std::getline(lines, line)) {
      if (lines.eof()) break;  // a line still being written
      nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
      if (event.is_object()) events.push_back(std::move(event));
    }
    return events;
  }
  // Events about `instance` whose text starts with `word`.
  std::vector<nlohmann::json> EventsSaying(const std::string& instance,
                                           const std::string& word) const {
    std::vector<nlohmann::json> found;
    for (const auto& e : Events()) {
      if (e.value("instance", "") == instance && e.value("text", "").rfind(word, 0) == 0) {
        found.push_back(e);
      }
    }
    return found;
  }
  std::string LauncherOutput() const {
    return ReadFile(dir_ + "/launcher.out") + ReadFile(dir_ + "/launcher.err");
  }

  std::optional<nlohmann::json> State() const {
    auto reply =
        HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::get, "/master/state");
    if (!reply || reply->status != 200) return std::nullopt;
    nlohmann::json json = nlohmann::json::parse(reply->body, nullptr, false);
    if (json.is_discarded()) return std::nullopt;
    return json;
  }

  // Tasks of every framework the master lists as not terminal.
  std::vector<nlohmann::json> LiveTasks() const {
    std::vector<nlohmann::json> live;
    auto state = State();
    if (!state) return live;
    for (const auto& framework : (*state)["frameworks"]) {
      for (const auto& task : framework["tasks"]) {
        const std::string s = task.value("state", "");
        if (s == "TASK_STAGING" || s == "TASK_STARTING" || s == "TASK_RUNNING" ||
            s == "TASK_KILLING") {
          live.push_back(task);
        }
      }
    }
    return live;
  }

  // SIGINT to the launcher: it kills its tasks and exits; then SIGTERM to
  // the cluster. Both must exit 0 and leave no executor.
  void StopCleanly() {
    ASSERT_EQ(kill(launcher_, SIGINT), 0);
    EXPECT_EQ(ExitCode(launcher_), 0) << LauncherOutput();
    launcher_ = -1;
    ASSERT_EQ(kill(cluster_, SIGTERM), 0);
    EXPECT_EQ(ExitCode(cluster_), 0) << ReadFile(dir_ + "/cluster.err");
    cluster_ = -1;
    EXPECT_TRUE(WaitUntil([&] { return ProcessesUnder(work_dir_).empty(); }, kWait));
  }

  static std::optional<int> ExitCode(pid_t pid) {
    int status = 0;
    if (!WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, kWait)) {
      return std::nullopt;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The rest of the first line of `text` holding `prefix`.
  static std::string After(const std::string& text, const std::string& prefix) {
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      const std::size_t at = line.find(prefix);
      if (at != std::string::npos) return line.substr(at + prefix.size());
    }
    return "";
  }

  mlaunch::testing::TempDir temp_{"fault_run"};
  const std::string dir_ = temp_.path();
  std::string work_dir_;
  std::uint16_t master_port_ = 0;
  pid_t cluster_ = -1;
  pid_t launcher_ = -1;
};

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_E2E_FAULT_RUN_H_

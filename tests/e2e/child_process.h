// ChildProcess: a program of ours run by an end-to-end test, its stdout and
// stderr merged into one pipe that the test reads line by line, each wait
// bounded by a deadline so a wrong program fails the test instead of
// hanging it. The destructor stops a process that still runs as a person
// would: SIGTERM, then SIGKILL after 10 s.
//
// Descendants: tests that check "no process left" make the test process a
// child subreaper (BecomeSubreaper()), so whatever the program leaves behind
// is reparented to the test and found by LiveChildren().
#ifndef MLAUNCH_TESTS_E2E_CHILD_PROCESS_H_
#define MLAUNCH_TESTS_E2E_CHILD_PROCESS_H_

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mlaunch::testing {

using Clock = std::chrono::steady_clock;

class ChildProcess {
 public:
  // Starts `argv` (argv[0] a path) with the test's environment less the
  // names in `unset`. The child gets its own process group, so a test's
  // SIGINT reaches only it (as Ctrl-C reaches only the foreground job).
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& unset = {}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(fds[1], 1);
      ::dup2(fds[1], 2);
      for (const std::string& name : unset) ::unsetenv(name.c_str());
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
      ::kill(pid_, SIGTERM);
      if (!WaitForExit(std::chrono::seconds(10))) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
    if (fd_ >= 0) ::close(fd_);
  }

  pid_t pid() const { return pid_; }
  // Every line read so far, for failure messages.
  const std::string& output() const { return output_; }

  // Reads lines until one satisfies `match`; returns it, or nothing when the
  // output ends or `timeout` passes first.
  std::optional<std::string> WaitForLine(const std::function<bool(const std::string&)>& match,
                                         std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (true) {
      std::size_t newline;
      while ((newline = pending_.find('\n')) != std::string::npos) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        if (match(line)) return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || fd_ < 0) return std::nullopt;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) {
        ::close(fd_);
        fd_ = -1;
        continue;
      }
      pending_.append(buffer, static_cast<std::size_t>(n));
      output_.append(buffer, static_cast<std::size_t>(n));
    }
  }

  // A line containing `text`.
  std::optional<std::string> WaitForText(const std::string& text,
                                         std::chrono::milliseconds timeout) {
    return WaitForLine(
        [&](const std::string& line) { return line.find(text) != std::string::npos; }, timeout);
  }

  void Signal(int signal) { ::kill(pid_, signal); }

  // The exit code (128 + signal when killed by one), or nothing if the
  // process is still running after `timeout`. Reads the rest of the output.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exit_code_) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (Clock::now() > deadline) return std::nullopt;
      // Drain the output while waiting (a full pipe would block the child).
      WaitForLine([](const std::string&) { return false; }, std::chrono::milliseconds(20));
    }
    WaitForLine([](const std::string&) { return false; }, std::chrono::milliseconds(0));
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string pending_;
  std::string output_;
  std::optional<int> exit_code_;
};

// Makes this process the reaper of its orphaned descendants.
inline void BecomeSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

// The live (not zombie) processes whose parent is `parent`, with their
// command names. Zombies of this process are reaped on the way.
// Starts `args` (args[0] a path) with stdout truncated into `out` and stderr
// appended to `err`; returns its pid. For programs a test leaves running
// and reads through files.
inline pid_t SpawnWithOutputTo(const std::vector<std::string>& args, const std::string& out,
                               const std::string& err) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

struct ProcessEntry {
  pid_t pid;
  std::string name;
};
inline std::vector<ProcessEntry> LiveChildren(pid_t parent = ::getpid()) {
  if (parent == ::getpid()) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  std::vector<ProcessEntry> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = ::readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const std::size_t open = text.find('(');
    const std::size_t close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z') {
      children.push_back({pid, text.substr(open + 1, close - open - 1)});
    }
  }
  ::closedir(proc);
  return children;
}

// Polls `condition` every 20 ms until it holds or `timeout` passes.
inline bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_E2E_CHILD_PROCESS_H_

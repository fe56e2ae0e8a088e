#include "executor/services/command_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

namespace mlaunch::executor {

std::optional<int> SignalNumber(const std::string& name) {
  if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
    int number = std::stoi(name.substr(0, 3));
    if (number > 0 && number < NSIG) return number;
    return std::nullopt;
  }
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
  static const std::pair<const char*, int> kSignals[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM},   {"ALRM", SIGALRM},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"WINCH", SIGWINCH},
  };
  for (const auto& [signal_name, number] : kSignals) {
    if (upper == signal_name) return number;
  }
  return std::nullopt;
}

CommandService::CommandService(pid_t pid, OnExit on_exit) : pid_(pid) {
  reaper_ = std::thread([this, on_exit = std::move(on_exit)] {
    // Once the command has ended (the guardian is a zombie, so its group id
    // cannot be reused), whatever it left running in its group goes too.
    siginfo_t ended{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &ended, WEXITED | WNOWAIT) < 0 &&
           errno == EINTR) {
    }
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t done;
    do {
      done = ::waitpid(pid_, &status, 0);
    } while (done < 0 && errno == EINTR);
    reaped_ = true;
    if (done < 0) {
      on_exit(std::nullopt, std::nullopt);
    } else if (WIFSIGNALED(status)) {
      on_exit(std::nullopt, WTERMSIG(status));
    } else {
      on_exit(WEXITSTATUS(status), std::nullopt);
    }
  });
}

CommandService::~CommandService() {
  Signal(SIGKILL);
  reaper_.join();
}

void CommandService::Signal(int signal) {
  if (reaped_) return;
  // Before the child's setsid() its group does not exist yet: signal it alone.
  if (::kill(-pid_, signal) != 0 && errno == ESRCH) ::kill(pid_, signal);
}

namespace {

// The child of fork(), in the new session it leads: the command's guardian.
// It runs the command as its own child in its process group and waits. When
// the command ends, it ends the same way (exit code or signal), so the
// executor sees the command's own status. When the executor dies, however it
// dies, the kernel tells it (PR_SET_PDEATHSIG) and it kills the whole group:
// nothing the command started outlives the executor. Only async-signal-safe
// calls: the executor is multi-threaded.
[[noreturn]] void RunGuardian(pid_t executor, const std::string& program,
                              const std::vector<char*>& argv, const std::vector<char*>& envp,
                              const std::string& out_path, const std::string& err_path,
                              const std::string& sandbox, int report) {
  ::setsid();
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);  // taken by sigwaitinfo below
  ::prctl(PR_SET_PDEATHSIG, SIGUSR2);
  if (::getppid() != executor) ::_exit(127);  // the executor died before prctl()
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out >= 0) ::dup2(out, STDOUT_FILENO);
  if (err >= 0) ::dup2(err, STDERR_FILENO);
  int null = ::open("/dev/null", O_RDONLY);
  if (null >= 0) ::dup2(null, STDIN_FILENO);
  const pid_t command = ::fork();
  if (command == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // the executor ignores it; the command must not
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::chdir(sandbox.c_str()) == 0) ::execvpe(program.c_str(), argv.data(), envp.data());
    int error = errno;
    (void)!::write(report, &error, sizeof error);
    ::_exit(127);
  }
  if (command < 0) {
    int error = errno;
    (void)!::write(report, &error, sizeof error);
    ::_exit(127);
  }
  ::close(report);  // the executor reads until the command's exec closes it
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, SIGCHLD);
  sigaddset(&wake, SIGUSR2);
  while (true) {
    if (::sigwaitinfo(&wake, nullptr) == SIGUSR2) ::kill(0, SIGKILL);  // us too
    int status = 0;
    if (::waitpid(command, &status, WNOHANG) != command) continue;
    if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
    const int signal = WTERMSIG(status);
    ::signal(signal, SIG_DFL);
    ::kill(::getpid(), signal);  // pending while blocked ...
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);  // ... and delivered here
    ::_exit(128 + signal);                       // a signal that cannot end us (SIGCHLD, say)
  }
}

}  // namespace

Result<std::unique_ptr<CommandService>> CommandService::Start(const ServiceConfig& config,
                                                              const std::string& sandbox,
                                                              OnExit on_exit) {
  const ServiceConfig::Command& command = config.command();
  std::vector<std::string> args;
  std::string program;
  if (!command.shell().empty()) {
    args = {"/bin/sh", "-c", command.shell()};
  } else {
    args.assign(command.args().begin(), command.args().end());
  }
  if (args.empty()) return Status::InvalidData("the command service has no command");
  program =
      command.executable().empty() || !command.shell().empty() ? args[0] : command.executable();
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The executor's environment with the command's variables on top.
  std::vector<std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string_view name = text.substr(0, text.find('='));
    const bool replaced = std::any_of(command.environment().begin(), command.environment().end(),
                                      [&](const auto& v) { return v.name() == name; });
    if (!replaced) variables.emplace_back(text);
  }
  for (const auto& variable : command.environment()) {
    variables.push_back(variable.name() + "=" + variable.value());
  }
  std::vector<char*> envp;
  for (std::string& variable : variables) envp.push_back(variable.data());
  envp.push_back(nullptr);
  std::string out_path = sandbox + "/stdout", err_path = sandbox + "/stderr";

  int report[2];  // the child writes its errno here when exec fails
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return Status::Error(StatusCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t executor = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Status::Error(StatusCode::kInternal, std::string("fork: ") + std::strerror(error));
  }
  if (pid == 0) RunGuardian(executor, program, argv, envp, out_path, err_path, sandbox, report[1]);
  ::close(report[1]);
  int child_error = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &child_error, sizeof child_error);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  if (n == sizeof child_error) {
    int status;
    ::waitpid(pid, &status, 0);
    return Status::InvalidData("cannot run " + program + ": " + std::strerror(child_error));
  }
  return std::unique_ptr<CommandService>(new CommandService(pid, std::move(on_exit)));
}

}  // namespace mlaunch::executor

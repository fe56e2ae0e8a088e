#include "executor/services/command_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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
      {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
      {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"ALRM", SIGALRM},
      {"CONT", SIGCONT}, {"STOP", SIGSTOP}, {"WINCH", SIGWINCH},
  };
  for (const auto& [signal_name, number] : kSignals) {
    if (upper == signal_name) return number;
  }
  return std::nullopt;
}

CommandService::CommandService(pid_t pid, OnExit on_exit) : pid_(pid) {
  reaper_ = std::thread([this, on_exit = std::move(on_exit)] {
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

Result<std::unique_ptr<CommandService>> CommandService::Start(const ServiceConfig& config,
                                                              const std::string& sandbox,
                                                              OnExit on_exit) {
  const ServiceConfig::Command& command = config.command();
  std::vector<std::string> args;
  if (!command.shell().empty()) {
    args = {"/bin/sh", "-c", command.shell()};
  } else {
    args.assign(command.args().begin(), command.args().end());
  }
  if (args.empty()) return Status::InvalidData("the command service has no command");
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string out_path = sandbox + "/stdout", err_path = sandbox + "/stderr";

  int report[2];  // the child writes its errno here when exec fails
  if (::pipe2(report, O_CLOEXEC) != 0) {
    return Status::Error(StatusCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    int error = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Status::Error(StatusCode::kInternal, std::string("fork: ") + std::strerror(error));
  }
  if (pid == 0) {
    ::setsid();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) ::dup2(out, STDOUT_FILENO);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    if (::chdir(sandbox.c_str()) == 0) ::execvp(argv[0], argv.data());
    int error = errno;
    (void)!::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
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
    return Status::InvalidData("cannot run " + args[0] + ": " + std::strerror(child_error));
  }
  return std::unique_ptr<CommandService>(new CommandService(pid, std::move(on_exit)));
}

}  // namespace mlaunch::executor

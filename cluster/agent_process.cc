#include "cluster/agent_process.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include "common/file_limit.h"

namespace mlaunch::cluster {
namespace {

// The first executable `name` on `path` (colon separated), or "".
std::string LookUp(const std::string& name, const std::string& path) {
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

Result<pid_t> SpawnExecutor(const mesos::v1::CommandInfo& command,
                            const std::map<std::string, std::string>& env,
                            const std::string& sandbox, bool die_with_agent) {
  if (!command.has_value() || command.value().empty()) {
    return Status::InvalidData("the executor's CommandInfo has no 'value'");
  }
  std::string program;
  std::vector<std::string> argv;
  if (!command.has_shell() || command.shell()) {
    program = "/bin/sh";
    argv = {"sh", "-c", command.value()};
  } else {
    program = command.value();
    if (program.find('/') == std::string::npos) {
      const auto path = env.find("PATH");
      program = LookUp(program, path == env.end() ? "" : path->second);
      if (program.empty()) {
        return Status::InvalidData("executable '" + command.value() +
                                   "' not found on the executor's PATH");
      }
    }
    argv.assign(command.arguments().begin(), command.arguments().end());
    if (argv.empty()) argv.push_back(command.value());
  }
  std::vector<std::string> env_lines;
  for (const auto& [name, value] : env) env_lines.push_back(name + "=" + value);
  std::vector<char*> argv_ptrs;
  for (auto& arg : argv) argv_ptrs.push_back(arg.data());
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (auto& line : env_lines) env_ptrs.push_back(line.data());
  env_ptrs.push_back(nullptr);

  const std::string out_path = sandbox + "/stdout";
  const std::string err_path = sandbox + "/stderr";
  const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || err < 0 || null < 0) {
    const std::string why = std::strerror(errno);
    for (int fd : {out, err, null}) {
      if (fd >= 0) close(fd);
    }
    return Status::Error(StatusCode::kInternal,
                         "cannot open stdout/stderr in " + sandbox + ": " + why);
  }
  const pid_t agent = getpid();
  // vfork, not fork: the child borrows the agent's memory until it execs,
  // so no page tables are copied and the agent's threads take no
  // copy-on-write faults after it (with fork, a few hundred executors took
  // seconds to start; docs/benchmarks.md, "Scale"). Every signal is blocked
  // around it, so no handler of the agent runs in the borrowed memory.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  const pid_t pid = vfork();
  if (pid == 0) {
    // Child: only system calls from here on, and nothing written to memory
    // the agent owns.
    for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
    if (die_with_agent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != agent) _exit(127);  // the agent ended before prctl()
    }
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
      const long max_fd = sysconf(_SC_OPEN_MAX);
      for (long fd = 3; fd < (max_fd > 0 ? max_fd : 1024); ++fd) close(static_cast<int>(fd));
    }
    RestoreOpenFileLimitInChild();
    if (chdir(sandbox.c_str()) != 0) _exit(127);
    execve(program.c_str(), argv_ptrs.data(), env_ptrs.data());
    const char message[] = "mesos-launch-cluster: cannot exec the executor\n";
    (void)!write(2, message, sizeof(message) - 1);
    _exit(127);
  }
  const int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  close(out);
  close(err);
  close(null);
  if (pid < 0) {
    return Status::Error(StatusCode::kInternal,
                         std::string("vfork failed: ") + std::strerror(fork_errno));
  }
  setpgid(pid, pid);  // also here, so the group exists before we return
  return pid;
}

void KillProcessGroup(pid_t pgid) {
  if (pgid > 0) kill(-pgid, SIGKILL);
}

}  // namespace mlaunch::cluster

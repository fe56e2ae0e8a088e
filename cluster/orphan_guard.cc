#include "cluster/orphan_guard.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <set>

namespace mlaunch::cluster {
namespace {

// One datagram of the socket pair (SOCK_SEQPACKET keeps them whole).
struct Message {
  std::int32_t op;
  std::int32_t pgid;
};
constexpr std::int32_t kGuard = 1;
constexpr std::int32_t kUnguard = 2;

// The guard's life, in the forked child: async-signal-safe calls only.
[[noreturn]] void RunGuard(int fd) {
  struct sigaction ignore;
  std::memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (int sig :
       {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2}) {
    sigaction(sig, &ignore, nullptr);
  }
  setsid();
  if (fd != 0) dup2(fd, 0);
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 1U, ~0U, 0U) != 0)
#endif
  {
    const long max_fd = sysconf(_SC_OPEN_MAX);
    for (long open_fd = 1; open_fd < (max_fd > 0 ? max_fd : 1024); ++open_fd) {
      close(static_cast<int>(open_fd));
    }
  }
  if (chdir("/") != 0) {
    // Stays where it was; it opens no file.
  }
  prctl(PR_SET_NAME, "ml-orphan-guard");
  const char ready = 'r';  // set up: the agents' process may go on
  (void)!send(0, &ready, 1, MSG_NOSIGNAL);
  pid_t groups[kMaxGuardedGroups];
  int count = 0;
  for (;;) {
    Message message;
    const ssize_t got = recv(0, &message, sizeof message, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // the other end is closed: the agents' process ended
    if (got != static_cast<ssize_t>(sizeof message) || message.pgid <= 1) continue;
    if (message.op == kGuard && count < kMaxGuardedGroups) {
      groups[count++] = message.pgid;
    } else if (message.op == kUnguard) {
      for (int i = 0; i < count; ++i) {
        if (groups[i] == message.pgid) {
          groups[i] = groups[--count];
          break;
        }
      }
    }
  }
  for (int i = 0; i < count; ++i) kill(-groups[i], SIGKILL);
  _exit(0);
}

struct Guard {
  std::mutex mutex;
  int fd = -1;     // our end of the socket pair
  pid_t pid = -1;  // the guard process
  std::set<pid_t> groups;
};

Guard& TheGuard() {
  static Guard* guard = new Guard;  // never destroyed: used until the process ends
  return *guard;
}

bool Send(int fd, std::int32_t op, pid_t pgid) {
  const Message message{op, static_cast<std::int32_t>(pgid)};
  for (;;) {
    const ssize_t sent = send(fd, &message, sizeof message, MSG_NOSIGNAL);
    if (sent == static_cast<ssize_t>(sizeof message)) return true;
    if (sent < 0 && errno == EINTR) continue;
    return false;
  }
}

Status GuardEnded() {
  return Status::Error(StatusCode::kInternal,
                       "the orphan guard process (it ends the executors that must not "
                       "outlive the cluster) ended as it started; nothing else kills it, "
                       "so look for what did (a resource limit, an operator)");
}

// Starts a guard (again, when the previous one is gone) and tells it every
// group registered so far. REQUIRES: guard.mutex held.
Status StartLocked(Guard& guard) {
  if (guard.fd >= 0) close(guard.fd);
  guard.fd = -1;
  if (guard.pid > 0) (void)waitpid(guard.pid, nullptr, WNOHANG);  // reap a dead one
  guard.pid = -1;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return Status::Error(
        StatusCode::kInternal,
        std::string("cannot start the orphan guard: socketpair: ") + std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid == 0) RunGuard(pair[1]);
  const int fork_errno = errno;
  close(pair[1]);
  if (pid < 0) {
    close(pair[0]);
    return Status::Error(
        StatusCode::kInternal,
        std::string("cannot start the orphan guard: fork: ") + std::strerror(fork_errno));
  }
  guard.fd = pair[0];
  guard.pid = pid;
  // Once it says it is set up (in its own session), it guards.
  char ready = 0;
  ssize_t got;
  while ((got = recv(guard.fd, &ready, 1, 0)) < 0 && errno == EINTR) {
  }
  if (got != 1) {
    return GuardEnded();
  }
  for (pid_t pgid : guard.groups) {
    if (!Send(guard.fd, kGuard, pgid)) {
      return GuardEnded();
    }
  }
  return Status::Ok();
}

}  // namespace

Status GuardProcessGroup(pid_t pgid) {
  if (pgid <= 1) return Status::InvalidData("not a process group: " + std::to_string(pgid));
  Guard& guard = TheGuard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  if (guard.groups.count(pgid) > 0) return Status::Ok();
  if (static_cast<int>(guard.groups.size()) >= kMaxGuardedGroups) {
    return Status::Error(
        StatusCode::kUnavailable,
        "the orphan guard already guards " + std::to_string(kMaxGuardedGroups) + " process groups");
  }
  guard.groups.insert(pgid);
  if (guard.fd >= 0 && Send(guard.fd, kGuard, pgid)) return Status::Ok();
  // Not started yet, or gone (killed): a new one learns every group.
  if (Status started = StartLocked(guard); !started.ok()) {
    guard.groups.erase(pgid);
    return started;
  }
  return Status::Ok();
}

void UnguardProcessGroup(pid_t pgid) {
  Guard& guard = TheGuard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  if (guard.groups.erase(pgid) == 0) return;
  if (guard.fd >= 0 && !Send(guard.fd, kUnguard, pgid)) {
    // Gone: the next GuardProcessGroup() starts another one with the rest.
    close(guard.fd);
    guard.fd = -1;
  }
}

std::optional<pid_t> OrphanGuardPid() {
  Guard& guard = TheGuard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  if (guard.pid <= 0) return std::nullopt;
  return guard.pid;
}

}  // namespace mlaunch::cluster

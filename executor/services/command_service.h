// The command service: what a task with `ServiceConfig.command` runs.
//
// Start() forks and execs the command -- `shell` through /bin/sh -c, or
// `args` directly (`executable`, else args[0], PATH searched) -- in a new
// session, so the command and everything it starts form one process group
// that Signal() reaches at once. The child runs in the sandbox with the
// executor's environment (the agent put PORT0.., PORT_<NAME>, PORTS, HOST
// and the MESOS_LAUNCH_* variables there from the ExecutorInfo) and the
// command's `environment` on top, and its stdout and stderr are appended to
// the files `stdout` and `stderr` of the sandbox. A command that cannot be
// exec'd fails Start() with the reason, so the task fails with it.
//
// A thread of the service's reaps the child and calls `on_exit` once, with
// the exit status or the signal that ended it. The destructor kills the
// group if the child is still there and waits for that report.
//
// Nothing outlives the command or the executor: the forked child leads the
// new session as the command's guardian and runs the command as its own
// child; it ends as the command ends (same exit code or signal), after which
// the rest of the group is killed; and when the executor dies, even by
// SIGKILL, the kernel tells the guardian (PR_SET_PDEATHSIG), which kills the
// group. The notice comes when the thread that called Start() ends, so
// Start() must be called from a thread that lives as long as the service,
// such as the executor's main loop.
#ifndef MLAUNCH_EXECUTOR_SERVICES_COMMAND_SERVICE_H_
#define MLAUNCH_EXECUTOR_SERVICES_COMMAND_SERVICE_H_

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "mesos_launch/service.pb.h"

namespace mlaunch::executor {

// "SIGTERM", "TERM", "term" or "15"; nullopt when unknown.
std::optional<int> SignalNumber(const std::string& name);

class CommandService {
 public:
  using OnExit = std::function<void(std::optional<int> exit_code, std::optional<int> signal)>;

  static Result<std::unique_ptr<CommandService>> Start(const ServiceConfig& config,
                                                       const std::string& sandbox, OnExit on_exit);
  ~CommandService();
  CommandService(const CommandService&) = delete;
  CommandService& operator=(const CommandService&) = delete;

  // Sends `signal` to the command's process group, while its leader lives.
  void Signal(int signal);
  pid_t pid() const { return pid_; }

 private:
  CommandService(pid_t pid, OnExit on_exit);

  const pid_t pid_;
  std::atomic<bool> reaped_{false};
  std::thread reaper_;
};

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_SERVICES_COMMAND_SERVICE_H_

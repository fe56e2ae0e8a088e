// mesos-launch's exit codes, one name each (README.md and docs/running.md,
// "Exit codes"). Unscoped, so a code is the int main() returns.
#ifndef MLAUNCH_LAUNCHER_EXIT_CODE_H_
#define MLAUNCH_LAUNCHER_EXIT_CODE_H_

namespace mlaunch {

enum ExitCode : int {
  kExitOk = 0,                // every task reached its goal, or stopped cleanly; a valid spec
  kExitInvalidSpec = 1,       // the spec has errors (or warnings, with --strict)
  kExitCannotConnect = 2,     // cannot connect, authenticate, subscribe or serve the executor
  kExitPlacementTimeout = 3,  // an instance found no offer within timeouts.placement
  kExitTaskFailed = 4,        // a task failed and its restart policy is spent
  kExitUsage = 64,            // a usage error (as sysexits' EX_USAGE)
  kExitStoppedEarly = 130,    // stopped before any instance ever ran (128 + SIGINT)
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_EXIT_CODE_H_

// EmbeddedCluster: the Mesos cluster mesos-launch starts in its own process
// when no master is named (no --master, no MESOS_MASTER, no `master:` in the
// spec) — the cluster/ library's master and one agent sized to the machine,
// on loopback, speaking the same wire protocol as mesos-launch-cluster. The
// scheduler reaches it over HTTP like any other master; nothing is
// short-circuited.
//
// Sandboxes go under a new temporary directory, which RemoveWorkDir()
// removes (mesos-launch does after a clean run, and keeps it, for the tasks'
// stdout and stderr, after one that failed). Stop() kills every executor
// the agent started;
// should mesos-launch die without stopping (SIGKILL), its executors get
// SIGKILL from the kernel.
#ifndef MLAUNCH_LAUNCHER_EMBEDDED_CLUSTER_H_
#define MLAUNCH_LAUNCHER_EMBEDDED_CLUSTER_H_

#include <memory>
#include <string>

#include "common/status.h"

namespace mlaunch {

class EmbeddedCluster {
 public:
  // Starts the master on 127.0.0.1 (a free port) and one agent on
  // 127.0.0.2, whose command executor (for tasks with only a CommandInfo) is
  // the mesos-launch-executor in `launcher_dir` (empty: such tasks fail).
  // Fails, naming the cause, when a directory cannot be made or an address
  // cannot be bound.
  static Result<std::unique_ptr<EmbeddedCluster>> Start(const std::string& launcher_dir = "");

  EmbeddedCluster(const EmbeddedCluster&) = delete;
  EmbeddedCluster& operator=(const EmbeddedCluster&) = delete;
  ~EmbeddedCluster();  // Stop()

  // Kills every executor, then stops the agent and the master. Idempotent.
  void Stop();
  // Stop(), then removes the sandboxes' directory and everything in it.
  void RemoveWorkDir();
  const std::string& work_dir() const;

  std::string master_url() const;
  // One line for the log: where the master listens, what the agent offers
  // and where the sandboxes are.
  std::string Describe() const;

 private:
  struct Parts;
  explicit EmbeddedCluster(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_EMBEDDED_CLUSTER_H_

// The command executor an agent synthesizes for a task that has only
// TaskInfo.command (docs/embedded-cluster.md, "Command tasks"): pure code, no I/O.
//
// CommandExecutorInfo() is the ExecutorInfo the agent starts for such a
// task and the executor sees in SUBSCRIBED, made as Mesos' agent makes its
// own:
//   - executor_id and source: the task id;
//   - framework_id: the framework's;
//   - name: "Command Executor (Task: <id>) (Command: sh -c '<value>')" for a
//     shell command, "(Command: [<value>, <arguments>...])" otherwise, the
//     part inside the quotes or brackets cut to its first 12 characters and
//     "..." when longer than 15;
//   - command: `executable` exec'd (shell false) with argv[0]
//     "mesos-launch-executor", the task's CommandInfo.uris (fetched into the
//     sandbox before the executor starts), environment and user copied;
//   - resources: the command executor's allowance, cpus 0.1 and mem 32 (MB),
//     allocated to the role of the task's resources. The master never sees
//     this executor, so the allowance is not taken from offers (a small
//     overcommit, as in Mesos).
//
// The agent tells such an executor from a custom one by its tasks (one of
// them has TaskInfo.command) and reports no executor termination for it:
// the scheduler gets no FAILURE (as from a Mesos agent).
#ifndef MLAUNCH_CLUSTER_COMMAND_EXECUTOR_H_
#define MLAUNCH_CLUSTER_COMMAND_EXECUTOR_H_

#include <string>

#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

inline constexpr char kCommandExecutorName[] = "mesos-launch-executor";
inline constexpr double kCommandExecutorCpus = 0.1;
inline constexpr double kCommandExecutorMem = 32;

// The executor's name alone (Mesos' format, above).
std::string CommandExecutorName(const mesos::v1::TaskInfo& task);

// REQUIRES: task.has_command().
mesos::v1::ExecutorInfo CommandExecutorInfo(const mesos::v1::TaskInfo& task,
                                            const mesos::v1::FrameworkID& framework_id,
                                            const std::string& executable);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_COMMAND_EXECUTOR_H_

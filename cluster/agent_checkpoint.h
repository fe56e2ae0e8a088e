// What an agent checkpoints about the executors of checkpointing frameworks
// (FrameworkInfo.checkpoint), so that the agent started again after a crash
// can recover them (docs/embedded-cluster.md): one JSON file per executor,
//   <work_dir>/meta/slaves/<agent_id>/frameworks/<fw>/executors/<id>/executor.json
// holding the FrameworkInfo (with its id), the ExecutorInfo, the container
// id, the sandbox, the executor's pid and its start time (field 22 of
// /proc/PID/stat, to tell the executor from a later process that got the
// same pid), and its tasks with their TaskInfo and latest state. Messages
// are stored in protobuf's JSON mapping; every write replaces the file
// atomically. The agent writes them through a CheckpointWriter
// (cluster/checkpoint_writer.h), off its lock.
//
// Every executor the agent starts, whatever its framework, also leaves a
// process record, so that an agent started again on the same work dir can
// kill what it does not recover (as a Mesos agent destroys the containers
// it does not recover):
//   <work_dir>/meta/slaves/<agent_id>/frameworks/<fw>/executors/<id>/runs/
//       <container_id>/process.json
//   {"pid": P, "start_time": T, "session": S}
// (the pid is also the executor's process group id; S its session, 0 when the
// session leader is outside our pid namespace).
//
// Text <-> ExecutorCheckpoint and ProcessRecord is pure; the rest is the
// file-system and /proc edge. Errors are values naming the file.
#ifndef MLAUNCH_CLUSTER_AGENT_CHECKPOINT_H_
#define MLAUNCH_CLUSTER_AGENT_CHECKPOINT_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

struct CheckpointedTask {
  mesos::v1::TaskInfo info;
  mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
};

struct ExecutorCheckpoint {
  mesos::v1::FrameworkInfo framework;  // with its id
  mesos::v1::ExecutorInfo executor;
  std::string container_id;
  std::string sandbox;
  pid_t pid = -1;
  std::uint64_t start_time = 0;  // clock ticks after boot
  std::vector<CheckpointedTask> tasks;
};

std::string CheckpointText(const ExecutorCheckpoint& checkpoint);
Result<ExecutorCheckpoint> ParseCheckpoint(std::string_view text);

// Whether `id` (a framework, executor, container or agent id) can name one
// directory of its own: not empty, at most 255 bytes, not "." or "..", no
// '/' and no NUL. Every path the agent builds from an id is built only from
// ids that pass, so none leads outside the work dir, whatever the master
// let through.
bool IsDirectoryName(const std::string& id);

// <work_dir>/meta/slaves/<agent_id>
std::string AgentMetaDir(const std::string& work_dir, const std::string& agent_id);

// Creates the directories as needed. Fails for ids that are no
// IsDirectoryName.
Status WriteCheckpoint(const std::string& meta_dir, const ExecutorCheckpoint& checkpoint);
// Removes the checkpoint, and the directories above it that are left
// empty (a process record keeps its own). Harmless when there is none, and
// a no-op for ids that are no IsDirectoryName.
void RemoveCheckpoint(const std::string& meta_dir, const std::string& framework_id,
                      const std::string& executor_id);
// Every executor checkpointed under `meta_dir` (none when it does not
// exist). Fails naming the first file that cannot be read or parsed.
Result<std::vector<ExecutorCheckpoint>> ReadCheckpoints(const std::string& meta_dir);

struct ProcessRecord {
  std::string framework_id;
  std::string executor_id;
  std::string container_id;
  pid_t pid = -1;
  std::uint64_t start_time = 0;  // clock ticks after boot, as above
  pid_t session = -1;
};

std::string ProcessRecordText(const ProcessRecord& record);
// The ids come from the record's path, not from the text.
Result<ProcessRecord> ParseProcessRecord(std::string_view text);

// Creates the directories as needed.
Status WriteProcessRecord(const std::string& meta_dir, const ProcessRecord& record);
// Removes the record's run directory, and the executor's directory when it
// holds no checkpoint any more. Harmless when there is none.
void RemoveProcessRecord(const std::string& meta_dir, const ProcessRecord& record);
// Every process record under `meta_dir` (none when it does not exist).
// Fails naming the first file that cannot be read or parsed.
Result<std::vector<ProcessRecord>> ReadProcessRecords(const std::string& meta_dir);

// The start time of process `pid` (field 22 of /proc/PID/stat); nullopt
// when there is no such process (or it is a zombie).
std::optional<std::uint64_t> ProcessStartTime(pid_t pid);

// Whether process group `pgid`, whose leader is gone, still has a member
// that belongs to `record`: in its session, started no earlier than the
// executor. (While a group has members its id is no process's pid, so it
// cannot have been given to a new group since.)
bool LeaderlessGroupOf(const ProcessRecord& record);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_AGENT_CHECKPOINT_H_

// The agent's executor checkpoints, written behind its back on a thread of
// their own: launches and status updates never wait for the disk under the
// agent's lock, and the changes of one executor that pile up while the
// disk is busy cost one write. A benchmark of 1,000 instances starting at
// once on one agent spent a third of the agent's time creating and
// fsyncing a checkpoint file per update (docs/benchmarks.md, "Scale").
//
// Put() and Remove() return at once. The writer takes executors in the
// order of their first pending request and writes the latest state of
// each: a state overtaken before its turn is never written. A Put() after
// a pending Remove() of the same executor (the same executor id started
// again) removes the old checkpoint first. The callbacks given with Put()
// run on the writer's thread, with no lock of the writer held, once a state
// at least as new is on disk, or once writing it failed (the previous file
// stays, as with a synchronous write; the failure is counted). The agent
// acknowledges an executor's updates there: an update the executor saw
// acknowledged is on disk.
//
// Thread-safe. The destructor writes everything pending, then joins.
#ifndef MLAUNCH_CLUSTER_CHECKPOINT_WRITER_H_
#define MLAUNCH_CLUSTER_CHECKPOINT_WRITER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cluster/agent_checkpoint.h"

namespace mlaunch::cluster {

class CheckpointWriter {
 public:
  CheckpointWriter();
  ~CheckpointWriter();
  CheckpointWriter(const CheckpointWriter&) = delete;
  CheckpointWriter& operator=(const CheckpointWriter&) = delete;

  // Writes `checkpoint` under `meta_dir` (WriteCheckpoint), unless a newer
  // Put() of the same executor comes first.
  void Put(const std::string& meta_dir, ExecutorCheckpoint checkpoint,
           std::function<void()> written = {});
  // Removes the executor's checkpoint (RemoveCheckpoint); what was pending
  // for it is dropped, its callbacks run.
  void Remove(const std::string& meta_dir, const std::string& framework_id,
              const std::string& executor_id);
  // Returns once everything asked before the call is done.
  void Flush();
  // Writes that failed so far.
  std::uint64_t failures() const;

 private:
  using Key = std::pair<std::string, std::string>;  // framework id, executor id
  struct Pending {
    std::string meta_dir;
    bool remove_first = false;
    std::optional<ExecutorCheckpoint> checkpoint;  // nullopt: remove only
    std::vector<std::function<void()>> written;
  };

  void Run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<Key, Pending> pending_;
  std::deque<Key> order_;
  bool busy_ = false;  // a request taken off the queue is being done
  bool stopping_ = false;
  std::uint64_t failures_ = 0;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_CHECKPOINT_WRITER_H_

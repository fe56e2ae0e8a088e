// SandboxGc: which sandboxes of ended executors an agent removes, and when
// (docs/embedded-cluster.md, "Sandboxes"). Mesos' agent does the same with
// --gc_delay and --gc_disk_headroom. A sandbox is removed `delay` after its
// executor ended, so its output can be read meanwhile; while the work dir's
// filesystem is fuller than `max_disk_use`, every one that may go goes at
// once. The `keep_latest` sandboxes that ended last are never removed: the
// latest failures stay for whoever debugs them.
//
// Pure: the caller measures the disk, removes the directories and says when
// it is (Clock); not thread-safe.
#ifndef MLAUNCH_CLUSTER_SANDBOX_GC_H_
#define MLAUNCH_CLUSTER_SANDBOX_GC_H_

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace mlaunch::cluster {

class SandboxGc {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::chrono::milliseconds delay = std::chrono::hours(1);
    double max_disk_use = 0.9;  // of the filesystem, 0..1
    std::size_t keep_latest = 10;
    // How often the disk is looked at while a sandbox could go.
    std::chrono::milliseconds disk_check_interval = std::chrono::minutes(1);
  };

  SandboxGc() : SandboxGc(Options{}) {}
  explicit SandboxGc(Options options) : options_(options) {}

  // The executor of the sandbox at `path` ended at `at`.
  void Ended(std::string path, Clock::time_point at);

  // When Due() should be asked next; nullopt while nothing could go.
  std::optional<Clock::time_point> NextDue() const;

  // Forgets and returns the sandboxes to remove now, oldest first.
  // `disk_use`: the part of the work dir's filesystem in use, 0..1.
  std::vector<std::string> Due(Clock::time_point now, double disk_use);

  std::size_t size() const { return ended_.size(); }

 private:
  struct Sandbox {
    std::string path;
    Clock::time_point at;
  };
  // Those that may go: all but the keep_latest last ones.
  std::size_t Removable() const;

  Options options_;
  std::deque<Sandbox> ended_;  // in the order they ended
  Clock::time_point last_disk_check_{};
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_SANDBOX_GC_H_

// The state a run keeps on disk so that a restarted mesos-launch can fail
// over to its running tasks: the framework id and the tasks it launched,
// each with its agent (id, hostname, attributes), its ports and its last
// known health (known_task.h). One small JSON file per framework name under
// the state directory (--state-dir, default $XDG_STATE_HOME/mesos-launch,
// else ~/.local/state/mesos-launch). Writes are atomic (temporary file,
// fsync, rename), so a crash leaves the old state or the new one, never
// half. Files written by older versions (task id and agent id only) are
// read, the rest of each task left empty.
// Not thread-safe.
#ifndef MLAUNCH_LAUNCHER_STATE_STORE_H_
#define MLAUNCH_LAUNCHER_STATE_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "launcher/known_task.h"

namespace mlaunch {

struct SavedState {
  std::string framework_id;
  std::vector<KnownTask> tasks;
};

class StateStore {
 public:
  // `dir` is created on the first Save().
  StateStore(std::string dir, const std::string& framework_name);

  // The saved state; nullopt when there is none. A file that cannot be
  // read or parsed is an error (it is kept, for a person to look at).
  Result<std::optional<SavedState>> Load() const;
  Status Save(const SavedState& state) const;
  Status Clear() const;
  const std::string& path() const { return path_; }

  // The default directory, from $XDG_STATE_HOME or $HOME.
  static std::string DefaultDir(const std::optional<std::string>& xdg_state_home,
                                const std::optional<std::string>& home);

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_STATE_STORE_H_

// The files of executors' sandboxes as an agent shows them to people and
// tools (docs/embedded-cluster.md, "Sandbox files"): what GET /files/browse,
// GET /files/read and the agent's operator calls LIST_FILES and READ_FILE
// answer. A path names a sandbox the way Mesos agents do,
//   /frameworks/<framework id>/executors/<executor id>/runs/<run>[/<inside>]
// where <run> is `latest` (the executor's newest run) or a run's id.
//
// Confinement: the task owns its sandbox and may put anything in it, so a
// path is walked one name at a time from the sandbox's directory, and no
// symlink is followed on the way or at the end (one inside the sandbox is
// listed, never read through); "." and ".." are refused, as is anything
// but the form above. A regular file is read, a directory listed; any
// other kind of file (FIFO, device, socket) is refused without opening it
// for reading, so a task cannot make a read block.
//
// Limits: a read returns at most kMaxFileReadBytes; a listing at most
// kMaxListedFiles entries (the rest are left out).
//
// Thread-safe (no state but the directory); does file I/O.
#ifndef MLAUNCH_CLUSTER_SANDBOX_FILES_H_
#define MLAUNCH_CLUSTER_SANDBOX_FILES_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mesos/v1/mesos.pb.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

// The most one read returns (Mesos caps a read at 16 pages too).
inline constexpr std::int64_t kMaxFileReadBytes = 64 * 1024;
inline constexpr std::size_t kMaxListedFiles = 10'000;

// Why a path cannot be read or listed: 400 for a path of the wrong form or
// a bad offset, 404 for one that names nothing readable.
struct FileRefusal {
  int status;
  std::string message;
};

struct FileChunk {
  std::uint64_t size = 0;  // of the whole file
  std::uint64_t offset = 0;
  std::string data;
};

class SandboxFiles {
 public:
  // `agent_dir`: <work_dir>/slaves/<agent id>, where the agent puts the
  // sandboxes; empty (an agent without an id yet): every path is refused.
  explicit SandboxFiles(std::string agent_dir) : agent_dir_(std::move(agent_dir)) {}

  // The entries of a directory, sorted by name, each with the path that
  // names it.
  std::variant<std::vector<mesos::v1::FileInfo>, FileRefusal> List(const std::string& path) const;

  // At most min(length, kMaxFileReadBytes) bytes from `offset`; none past
  // the end.
  std::variant<FileChunk, FileRefusal> Read(const std::string& path, std::uint64_t offset,
                                            std::uint64_t length) const;

 private:
  std::string agent_dir_;
};

// /files/browse's JSON for a listing: an array of {path, nlink, size,
// mtime (seconds), mode ("-rw-r--r--"), uid, gid}, as Mesos agents answer.
nlohmann::json BrowseJson(const std::vector<mesos::v1::FileInfo>& files);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_SANDBOX_FILES_H_

#include "cluster/sandbox_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "cluster/agent_checkpoint.h"

namespace mlaunch::cluster {
namespace {

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

FileRefusal NotFound(const std::string& path) {
  return {404, "no file or directory '" + path.substr(0, 300) + "' in a sandbox of this agent"};
}

// The names of a path, split at '/', empty ones skipped.
std::vector<std::string> Names(const std::string& path) {
  std::vector<std::string> names;
  std::size_t at = 0;
  while (at < path.size() && names.size() <= 4096) {
    const std::size_t slash = std::min(path.find('/', at), path.size());
    if (slash > at) names.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  return names;
}

// Opens what `path` names, read-only, without following a symlink and
// without blocking; `st` gets its kind.
std::variant<Fd, FileRefusal> Open(const std::string& agent_dir, const std::string& path,
                                   struct stat* st) {
  const FileRefusal wrong_form = {
      400,
      "a sandbox path is /frameworks/<framework id>/executors/<executor id>/runs/"
      "<latest or run id>[/<path in the sandbox>], without '.' or '..'; not '" +
          path.substr(0, 300) + "'"};
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos) {
    return wrong_form;
  }
  const std::vector<std::string> names = Names(path);
  if (names.size() < 6 || names[0] != "frameworks" || names[2] != "executors" ||
      names[4] != "runs") {
    return wrong_form;
  }
  for (const std::string& name : names) {
    if (!IsDirectoryName(name)) return wrong_form;  // ".", "..", too long
  }
  if (agent_dir.empty()) return NotFound(path);  // an agent not yet registered
  // The agent made these directories from ids that pass IsDirectoryName
  // and the `latest` link itself: they are followed. From the run's
  // directory on, the names are the task's.
  const std::string run =
      agent_dir + "/frameworks/" + names[1] + "/executors/" + names[3] + "/runs/" + names[5];
  Fd dir(::open(run.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return NotFound(path);
  for (std::size_t i = 6; i < names.size(); ++i) {
    const bool last = i + 1 == names.size();
    // O_PATH: nothing is opened for reading yet, so a FIFO cannot block.
    Fd next(::openat(dir.get(), names[i].c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (next.get() < 0) return NotFound(path);
    struct stat info {};
    if (::fstat(next.get(), &info) != 0) return NotFound(path);
    if (!last && !S_ISDIR(info.st_mode)) return NotFound(path);
    if (S_ISLNK(info.st_mode)) {
      return FileRefusal{404, "'" + path.substr(0, 300) +
                                  "' is a symbolic link; links in a "
                                  "sandbox are listed, never followed"};
    }
    dir = std::move(next);
  }
  if (::fstat(dir.get(), st) != 0) return NotFound(path);
  if (path.back() == '/' && !S_ISDIR(st->st_mode)) return NotFound(path);  // "stdout/"
  if (!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode)) {
    return FileRefusal{404,
                       "'" + path.substr(0, 300) + "' is neither a regular file nor a directory"};
  }
  // From the O_PATH descriptor to a readable one, through /proc so that no
  // name is looked up again (the task could have swapped it meanwhile).
  const std::string self = "/proc/self/fd/" + std::to_string(dir.get());
  Fd readable(::open(self.c_str(),
                     O_RDONLY | O_CLOEXEC | O_NONBLOCK | (S_ISDIR(st->st_mode) ? O_DIRECTORY : 0)));
  if (readable.get() < 0) return NotFound(path);
  return readable;
}

std::string UserName(uid_t uid) {
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

std::string GroupName(gid_t gid) {
  struct group entry {};
  struct group* found = nullptr;
  char buffer[4096];
  if (::getgrgid_r(gid, &entry, buffer, sizeof buffer, &found) == 0 && found) return found->gr_name;
  return std::to_string(gid);
}

// "drwxr-xr-x", as ls -l prints a mode.
std::string ModeText(std::uint32_t mode) {
  char kind = '-';
  if (S_ISDIR(mode)) kind = 'd';
  if (S_ISLNK(mode)) kind = 'l';
  if (S_ISFIFO(mode)) kind = 'p';
  if (S_ISSOCK(mode)) kind = 's';
  if (S_ISCHR(mode)) kind = 'c';
  if (S_ISBLK(mode)) kind = 'b';
  std::string text(1, kind);
  const char* letters = "rwxrwxrwx";
  for (int bit = 0; bit < 9; ++bit) {
    text += (mode & (0400u >> bit)) ? letters[bit] : '-';
  }
  return text;
}

}  // namespace

std::variant<std::vector<mesos::v1::FileInfo>, FileRefusal> SandboxFiles::List(
    const std::string& path) const {
  struct stat st {};
  auto opened = Open(agent_dir_, path, &st);
  if (auto* refused = std::get_if<FileRefusal>(&opened)) return *refused;
  Fd fd = std::move(std::get<Fd>(opened));
  const std::string base = path.back() == '/' ? path.substr(0, path.size() - 1) : path;
  std::vector<mesos::v1::FileInfo> files;
  auto describe = [&files](const std::string& entry_path, const struct stat& info) {
    mesos::v1::FileInfo file;
    file.set_path(entry_path);
    file.set_nlink(static_cast<std::int32_t>(info.st_nlink));
    file.set_size(static_cast<std::uint64_t>(info.st_size));
    file.mutable_mtime()->set_nanoseconds(
        static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec);
    file.set_mode(info.st_mode);
    file.set_uid(UserName(info.st_uid));
    file.set_gid(GroupName(info.st_gid));
    files.push_back(std::move(file));
  };
  if (!S_ISDIR(st.st_mode)) {
    describe(base, st);  // a file lists as itself, as on a Mesos agent
    return files;
  }
  DIR* dir = ::fdopendir(fd.get());
  if (dir == nullptr) return NotFound(path);
  fd.release();  // the DIR owns it now
  while (files.size() < kMaxListedFiles) {
    const dirent* entry = ::readdir(dir);
    if (entry == nullptr) break;
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat info {};
    if (::fstatat(::dirfd(dir), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    describe(base + "/" + name, info);
  }
  ::closedir(dir);
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.path() < b.path(); });
  return files;
}

std::variant<FileChunk, FileRefusal> SandboxFiles::Read(const std::string& path,
                                                        std::uint64_t offset,
                                                        std::uint64_t length) const {
  struct stat st {};
  auto opened = Open(agent_dir_, path, &st);
  if (auto* refused = std::get_if<FileRefusal>(&opened)) return *refused;
  if (S_ISDIR(st.st_mode)) {
    return FileRefusal{400, "'" + path.substr(0, 300) + "' is a directory: browse it instead"};
  }
  const Fd fd = std::move(std::get<Fd>(opened));
  FileChunk chunk;
  chunk.size = static_cast<std::uint64_t>(st.st_size);
  chunk.offset = offset;
  if (offset >= chunk.size) return chunk;
  const std::uint64_t want = std::min<std::uint64_t>(
      {length, static_cast<std::uint64_t>(kMaxFileReadBytes), chunk.size - offset});
  chunk.data.resize(want);
  const ssize_t got = ::pread(fd.get(), chunk.data.data(), want, static_cast<off_t>(offset));
  chunk.data.resize(static_cast<std::size_t>(std::max<ssize_t>(got, 0)));
  return chunk;
}

nlohmann::json BrowseJson(const std::vector<mesos::v1::FileInfo>& files) {
  nlohmann::json out = nlohmann::json::array();
  for (const mesos::v1::FileInfo& file : files) {
    const std::int64_t mtime_seconds = file.mtime().nanoseconds() / 1'000'000'000;
    out.push_back({{"path", file.path()},
                   {"nlink", file.nlink()},
                   {"size", file.size()},
                   {"mtime", static_cast<double>(mtime_seconds)},
                   {"mode", ModeText(file.mode())},
                   {"uid", file.uid()},
                   {"gid", file.gid()}});
  }
  return out;
}

}  // namespace mlaunch::cluster

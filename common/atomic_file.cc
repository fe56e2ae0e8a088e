#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mlaunch {

Status WriteFileAtomically(const std::string& path, const std::string& text) {
  auto failed = [](const std::string& what, const std::string& file) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot " + what + " " + file + ": " + std::strerror(errno));
  };
  const std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failed("write", temporary);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status status = failed("write", temporary);
      ::close(fd);
      return status;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status status = failed("write", temporary);
    ::close(fd);
    return status;
  }
  if (::close(fd) != 0) return failed("write", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return failed("replace", path);
  // The rename is durable once the directory holding it is synced.
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return failed("sync", dir);
  // Some file systems cannot sync a directory (EINVAL): the rename stands.
  if (::fsync(dir_fd) != 0 && errno != EINVAL) {
    Status status = failed("sync", dir);
    ::close(dir_fd);
    return status;
  }
  ::close(dir_fd);
  return Status::Ok();
}

}  // namespace mlaunch

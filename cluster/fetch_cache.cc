#include "cluster/fetch_cache.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "common/sha256.h"

namespace mlaunch::cluster {

FetchCache::FetchCache(std::string directory) : directory_(std::move(directory)) {}

std::string FetchCache::EntryPath(const std::string& uri) const {
  return (std::filesystem::path(directory_) / Sha256Hex(uri)).string();
}

Result<std::string> FetchCache::Get(
    const std::string& uri, const std::function<Status(const std::string& temporary)>& fill) const {
  const std::string entry = EntryPath(uri);
  if (entry == directory_ + "/") {
    return Status::Error(StatusCode::kInternal, "cannot hash the URI");
  }
  std::error_code error;
  if (std::filesystem::is_regular_file(entry, error)) return entry;
  std::filesystem::create_directories(directory_, error);
  if (error) {
    return Status::InvalidData("cannot create the fetch cache " + directory_ + ": " +
                               error.message());
  }
  std::string temporary = entry + ".part.XXXXXX";
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) {
    return Status::InvalidData("cannot create a file in the fetch cache " + directory_ + ": " +
                               std::strerror(errno));
  }
  ::fchmod(fd, 0644);  // as a downloaded file would be, not mkstemp's 0600
  ::close(fd);
  Status filled = fill(temporary);
  if (filled.ok() && std::rename(temporary.c_str(), entry.c_str()) != 0) {
    filled =
        Status::InvalidData("cannot add to the fetch cache " + entry + ": " + std::strerror(errno));
  }
  if (!filled.ok()) {
    std::filesystem::remove(temporary, error);
    return filled;
  }
  return entry;
}

}  // namespace mlaunch::cluster

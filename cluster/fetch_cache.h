// FetchCache: the fetcher's cache of downloaded URIs (docs/embedded-cluster.md,
// "What it implements"; `CommandInfo.URI.cache`), one directory per cluster.
//
// An entry is the content of one URI, in a file named by the SHA-256 of the
// URI (OpenSSL). Entries are never refreshed: a URI whose content changes
// needs a new URI. An entry appears whole or not at all: it is filled in a
// temporary file in the same directory and renamed into place, so
// concurrent fetches of one URI (threads or processes) may both download,
// but never see or leave a partial entry. No size limit, no eviction.
//
// Blocking file I/O; thread-safe; errors are values.
#ifndef MLAUNCH_CLUSTER_FETCH_CACHE_H_
#define MLAUNCH_CLUSTER_FETCH_CACHE_H_

#include <functional>
#include <string>

#include "common/status.h"

namespace mlaunch::cluster {

class FetchCache {
 public:
  // `directory` is created on first use.
  explicit FetchCache(std::string directory);

  // Where `uri`'s entry is (or would be).
  std::string EntryPath(const std::string& uri) const;

  // The path of `uri`'s entry. When there is none yet, `fill` is called
  // with the path of a new empty temporary file to write the content to;
  // if it succeeds the file becomes the entry, otherwise it is removed and
  // its error returned.
  Result<std::string> Get(const std::string& uri,
                          const std::function<Status(const std::string& temporary)>& fill) const;

 private:
  std::string directory_;
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_FETCH_CACHE_H_

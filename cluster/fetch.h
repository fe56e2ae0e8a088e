// Fetching CommandInfo.uris into a sandbox (docs/embedded-cluster.md, "Fetching").
//
// Sources: `file://` URIs (absolute, an optional "localhost" host) and
// absolute paths are copied; `http://` and `https://` URIs are downloaded
// with the HttpClient in FetchOptions (redirects followed, success only for
// a final 200, a stall timeout, no overall deadline). Everything else —
// ftp, hdfs, s3, relative paths (no --frameworks_home) — fails.
//
// Destination: `output_file` (relative, no "..", directories created inside
// the sandbox) or else the URI's basename, the text after the last '/',
// query and fragment included as Mesos does (`http://h/app.tgz?token=1`
// lands as `app.tgz?token=1`, which is no archive by name: set
// `output_file` for such URIs).
//
// Then: `executable` makes it 0755 and nothing more. Otherwise, unless
// `extract` is false, an archive by the destination name (archive.h) is
// extracted safely into the sandbox root, and a plain .gz is decompressed
// into the sandbox root under its name without ".gz"; the fetched file
// stays too. `cache` (with a cache directory in FetchOptions): the content
// is taken from, or first downloaded into, the FetchCache and copied from
// there; an archive is extracted straight from the cache, so only its
// content lands in the sandbox.
//
// URIs are fetched in order; the first failure stops the fetch, with a
// message "fetching <uri>: <cause>" (credentials in the URI left out), the
// cause of a download naming the HTTP status or transport error and the
// bytes received, e.g. "fetching http://h/app.tgz: HTTP 404 after 0 bytes".
// A failed download leaves no partial file behind.
//
// Blocking network and file I/O on the caller's thread; errors are values.
#ifndef MLAUNCH_CLUSTER_FETCH_H_
#define MLAUNCH_CLUSTER_FETCH_H_

#include <chrono>
#include <string>

#include "common/http_client.h"
#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

struct FetchOptions {
  // Downloads http(s) URIs; null: such URIs fail. Not owned.
  HttpClient* http_client = nullptr;
  // Where URIs with `cache` set are kept (fetch_cache.h); empty: they are
  // fetched as if `cache` were not set.
  std::string cache_dir;
  // A download during which no byte arrives for this long fails (Mesos'
  // --fetcher_stall_timeout).
  std::chrono::milliseconds stall_timeout = std::chrono::minutes(1);
};

// The name (relative to the sandbox) `uri` is fetched to, as above, or the
// error that fails its fetch.
Result<std::string> FetchedName(const mesos::v1::CommandInfo::URI& uri);

// Fetches every URI of `command` in order; stops at the first failure.
Status FetchUris(const mesos::v1::CommandInfo& command, const std::string& sandbox,
                 const FetchOptions& options);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_FETCH_H_

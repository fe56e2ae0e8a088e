// Fetching CommandInfo.uris into a sandbox (mesos-v1-reference.md §4), the
// local part only: `file://` URIs (absolute, an optional "localhost" host)
// and absolute paths are copied to `output_file` or the URI's basename
// (text after the last '/'), made 0755 when `executable`. Everything else —
// http(s)/ftp downloads, archive extraction, the cache — is refused with a
// message naming the URI, so the task fails rather than starting without
// its files.
//
// Blocking file I/O; errors are values.
#ifndef MLAUNCH_CLUSTER_FETCH_H_
#define MLAUNCH_CLUSTER_FETCH_H_

#include <string>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

// Fetches every URI of `command` in order; stops at the first failure.
Status FetchUris(const mesos::v1::CommandInfo& command,
                 const std::string& sandbox);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_FETCH_H_

// The embedded master's status page (docs/embedded-cluster.md, "The status
// page"): plain HTML, CSS and JavaScript from cluster/status_page/, built
// into the program (cmake/EmbedFiles.cmake), so nothing is read from disk
// or fetched from elsewhere when it is served. The page follows the
// operator API's SUBSCRIBE stream and reads tasks' output from the agents'
// /files/read.
#ifndef MLAUNCH_CLUSTER_STATUS_PAGE_H_
#define MLAUNCH_CLUSTER_STATUS_PAGE_H_

#include <string_view>

namespace mlaunch::cluster {

struct StatusPageFile {
  std::string_view path;        // the URL path it is served at: "/", "/status.js"
  std::string_view media_type;  // "text/html"; every file is UTF-8
  std::string_view body;
};

// The file served at `path`, or null.
const StatusPageFile* FindStatusPageFile(std::string_view path);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_STATUS_PAGE_H_

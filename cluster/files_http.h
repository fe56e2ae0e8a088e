// An agent's sandbox files over HTTP (docs/embedded-cluster.md, "Sandbox
// files"), as Mesos agents serve them:
//   GET  /files/browse?path=P            a JSON listing (BrowseJson)
//   GET  /files/read?path=P&offset=N[&length=L]
//        {"data": <text>, "offset": N}; offset -1 (or none) answers the
//        file's size as `offset`, with no data, so a reader can start at
//        the end. The text has as many bytes as it stands for (Utf8Piece:
//        a byte that is not UTF-8 is '?', a character cut by the read's end
//        comes whole with the next read), so offset + its size is where
//        the next read starts, whatever the file holds
//   POST /api/v1 (and /slave(1)/api/v1), the agent's operator API:
//        LIST_FILES and READ_FILE (protobuf or JSON, answered as Accept
//        asks); 501 naming those two for any other call
// all through SandboxFiles, which keeps every path inside a sandbox. No
// authentication, as a Mesos agent's default.
//
// A status page served by the master reads these from a browser on
// another origin: a GET from one of `page_origins` is answered with
// Access-Control-Allow-Origin naming that origin (no other origin is).
#ifndef MLAUNCH_CLUSTER_FILES_HTTP_H_
#define MLAUNCH_CLUSTER_FILES_HTTP_H_

#include <string>
#include <string_view>
#include <vector>

#include "cluster/sandbox_files.h"
#include "common/http_server.h"

namespace mlaunch::cluster {

// Whether `path` is one of the endpoints above.
bool IsFilesEndpoint(std::string_view path);

HttpServer::Response ServeFiles(const SandboxFiles& files, const HttpServer::Request& request,
                                const std::vector<std::string>& page_origins);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_FILES_HTTP_H_

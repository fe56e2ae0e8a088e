// Health-check runners: one check of a task, run to its end (blocking) and
// judged healthy or not, with a detail for the status message. The executor
// core decides when checks run and what their results mean; this only runs
// them (docs/mesos-protocol.md, "Health checks").
//
//   TCP      connect to `host`:port within the timeout.
//   COMMAND  /bin/sh -c the command's value (or its arguments exec'd) in the
//            sandbox, in its own process group; exit 0 within the timeout is
//            healthy; on timeout the group is killed.
//   HTTP     GET scheme://host:port/path (HTTPCheckInfo: scheme "http" by
//            default, or "https", whose certificate is not verified, as
//            Mesos' checks do not; path "/" by default) with `http`, no
//            redirects followed; a final status 200-399 within the timeout
//            is healthy, as for Mesos' built-in executors (`statuses` is
//            ignored, as there). The body is read and dropped.
//
// Each call runs on the caller's thread and blocks for at most the check's
// timeout (plus the reaping of a killed command, or up to a second more for
// an HTTP transfer to notice it).
#ifndef MLAUNCH_EXECUTOR_SERVICES_HEALTH_CHECK_H_
#define MLAUNCH_EXECUTOR_SERVICES_HEALTH_CHECK_H_

#include <string>

#include "common/http_client.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::executor {

struct CheckOutcome {
  bool healthy = false;
  std::string detail;  // why not, or what passed
};

// `host`: where TCP and HTTP checks connect (an IP address or a name).
// `http`: for HTTP checks; thread-safe, so shared with other users.
CheckOutcome RunHealthCheck(const mesos::v1::HealthCheck& check, const std::string& host,
                            const std::string& sandbox, HttpClient& http);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_SERVICES_HEALTH_CHECK_H_

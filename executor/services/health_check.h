// Health-check runners: one check of a task, run to its end (blocking) and
// judged healthy or not, with a detail for the status message. The executor
// core decides when checks run and what their results mean; this only runs
// them (mesos-v1-reference.md §3, HealthCheck).
//
//   TCP      connect to `host`:port within the timeout.
//   COMMAND  /bin/sh -c the command's value (or its arguments exec'd) in the
//            sandbox, in its own process group; exit 0 within the timeout is
//            healthy; on timeout the group is killed.
//   HTTP     for now judged as TCP on the check's port: the project's one HTTP
//            client can only POST, and a GET needs it to grow one.
//
// Each call runs on the caller's thread and blocks for at most the check's
// timeout (plus the reaping of a killed command).
#ifndef MLAUNCH_EXECUTOR_SERVICES_HEALTH_CHECK_H_
#define MLAUNCH_EXECUTOR_SERVICES_HEALTH_CHECK_H_

#include <string>

#include "mesos/v1/mesos.pb.h"

namespace mlaunch::executor {

struct CheckOutcome {
  bool healthy = false;
  std::string detail;  // why not, or what passed
};

CheckOutcome RunHealthCheck(const mesos::v1::HealthCheck& check, const std::string& host,
                            const std::string& sandbox);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_SERVICES_HEALTH_CHECK_H_

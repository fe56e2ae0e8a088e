// What a launched task runs, decided from its TaskInfo alone (pure code).
//
//   - TaskInfo.data holding a mesos-launch ServiceConfig (an `http` or a
//     `command` service): that service, as mesos-launch compiled it;
//   - otherwise TaskInfo.command (a command task, for which the agent made
//     this executor its command executor, docs/mesos-protocol.md): a
//     command service running it as Mesos' command executor does --
//     `shell` (the default) through /bin/sh -c `value`, else `value` exec'd
//     with `arguments` (arguments[0] is argv[0]; `value` alone when there
//     are none) -- with CommandInfo.environment set on top of the
//     executor's (VALUE secrets resolved, other secrets left to the agent,
//     which refuses them) and MESOS_ALLOCATION_ROLE, the role of the task's
//     resources, as Mesos' built-in executors export it to their tasks;
//   - otherwise nothing: the task cannot run here.
#ifndef MLAUNCH_EXECUTOR_TASK_SERVICE_H_
#define MLAUNCH_EXECUTOR_TASK_SERVICE_H_

#include <optional>

#include "mesos/v1/mesos.pb.h"
#include "mesos_launch/service.pb.h"

namespace mlaunch::executor {

std::optional<ServiceConfig> ServiceForTask(const mesos::v1::TaskInfo& task);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_TASK_SERVICE_H_

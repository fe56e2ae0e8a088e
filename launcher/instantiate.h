// Instantiation: one TaskInfo for one instance, from the task's template
// (compile.h), the resources the offer gave it (offer_match.h) and what is
// known at launch (its id, the framework id, other tasks' addresses,
// secrets). Fills every `${...}` placeholder and every port number. Pure.
#ifndef MLAUNCH_LAUNCHER_INSTANTIATE_H_
#define MLAUNCH_LAUNCHER_INSTANTIATE_H_

#include <cstdint>
#include <map>
#include <string>

#include "launcher/offer_match.h"
#include "launcher/plan.h"

namespace mlaunch {

// Where a task's first instance runs, for `${tasks.NAME...}`.
struct TaskAddress {
  std::string host;
  std::map<std::string, uint32_t> ports;
};

struct InstanceContext {
  std::string task_id;  // <task>.<index>.<uuid>
  std::string framework_id;
  std::map<std::string, TaskAddress> tasks;    // task name -> address
  std::map<std::string, std::string> secrets;  // env var name -> value
};

mesos::v1::TaskInfo Instantiate(const TaskPlan& task, const InstanceLaunch& launch,
                                const InstanceContext& context);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_INSTANTIATE_H_

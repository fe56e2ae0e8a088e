// Renders a Plan as the JSON that --plan prints: the FrameworkInfo and, per
// task, its offer-matching rule, what the scheduler does with it (restart,
// timeouts, dependencies) and one TaskInfo per instance, with Mesos' field
// names. Offer-dependent values appear as `${...}` placeholders; secret
// values appear only as "<redacted>". Pure.
#ifndef MLAUNCH_LAUNCHER_PLAN_JSON_H_
#define MLAUNCH_LAUNCHER_PLAN_JSON_H_

#include <string>

#include "launcher/plan.h"

namespace mlaunch {

// Pretty-printed, ending in a newline.
std::string PlanJson(const Plan& plan);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_PLAN_JSON_H_

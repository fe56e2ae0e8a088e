// Checks that tie fields of a read spec together: names unique, references
// resolve (ports, depends_on), no dependency cycles, one thing to run per
// task, constraint operands, literal secrets, and warnings for setups that
// would fail at run time. Appends to `diagnostics`; pure.
#ifndef MLAUNCH_LAUNCHER_SPEC_VALIDATE_H_
#define MLAUNCH_LAUNCHER_SPEC_VALIDATE_H_

#include "common/diagnostic.h"
#include "launcher/spec/spec.h"

namespace mlaunch::spec {

void Validate(const Spec& spec, Diagnostics& diagnostics);

// The paths of the tasks in diagnostics (tasks[web]), as the loader wrote them.
std::vector<std::string> TaskPaths(const Spec& spec);

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_VALIDATE_H_

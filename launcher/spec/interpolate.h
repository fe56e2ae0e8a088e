// Placeholders in task strings: command, args, env values, service.payload
// and command health checks may say `${ports.http}`, `${host}`,
// `${instance}`, `${task_id}`, `${framework_id}`, or another task's
// `${tasks.NAME.host}`, `${tasks.NAME.ports.PORT}`, `${tasks.NAME.addr.PORT}`
// (host:port of its first instance). They are filled in at launch.
//
// Only names that start with a lower-case letter are placeholders; `${HOME}`
// and other upper-case names are left alone for the shell. Pure.
#ifndef MLAUNCH_LAUNCHER_SPEC_INTERPOLATE_H_
#define MLAUNCH_LAUNCHER_SPEC_INTERPOLATE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/spec/spec.h"

namespace mlaunch::spec {

struct Placeholder {
  size_t begin = 0;   // offset of '$'
  size_t length = 0;  // through the closing '}'
  std::string name;   // between the braces
};

std::vector<Placeholder> FindPlaceholders(std::string_view text);

// Replaces every placeholder that `lookup` knows; leaves the others.
std::string Substitute(std::string_view text,
                       const std::function<std::optional<std::string>(const std::string&)>& lookup);

// Empty when `name` is a placeholder `task` (of `spec`) may use; otherwise
// what is wrong with it. `hint` gets what to write instead, if anything.
std::string CheckPlaceholder(const std::string& name, const Spec& spec, const Task& task,
                             std::string& hint);

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_INTERPOLATE_H_

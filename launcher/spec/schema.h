// The JSON Schema (draft-07) of the spec language, generated from the field
// table (fields.h) so that editors, CI validators and the loader agree.
// schema/mesos-launch.schema.json is this output; a test keeps them equal.
#ifndef MLAUNCH_LAUNCHER_SPEC_SCHEMA_H_
#define MLAUNCH_LAUNCHER_SPEC_SCHEMA_H_

#include <string>

namespace mlaunch::spec {

// Pretty-printed JSON, ending in a newline.
std::string JsonSchema();

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_SCHEMA_H_

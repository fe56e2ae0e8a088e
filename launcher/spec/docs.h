// The reference tables of docs/spec.md, generated from the field table
// (fields.h): one row per key with its type, default, Mesos field and
// meaning. A test keeps docs/spec.md equal to this output.
#ifndef MLAUNCH_LAUNCHER_SPEC_DOCS_H_
#define MLAUNCH_LAUNCHER_SPEC_DOCS_H_

#include <string>

namespace mlaunch::spec {

// Markdown, ending in a newline.
std::string ReferenceTables();

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_DOCS_H_

// Loading a spec: YAML text in, a typed Spec and every problem out.
//
// Load() parses with yaml-cpp, reads the document through the field table
// (unknown and duplicate keys, types, units, ranges) and then checks what
// ties fields together (validate.h). It reports all problems in one pass and
// never throws. Pure: the caller reads the file.
#ifndef MLAUNCH_LAUNCHER_SPEC_LOAD_H_
#define MLAUNCH_LAUNCHER_SPEC_LOAD_H_

#include <string>
#include <string_view>

#include "common/diagnostic.h"
#include "launcher/spec/spec.h"

namespace mlaunch::spec {

struct LoadResult {
  Spec spec;                // filled as far as it could be read
  Diagnostics diagnostics;  // errors mean `spec` must not be run
};

// `file` is the name used in diagnostics and for the default framework name.
LoadResult Load(std::string_view text, const std::string& file);

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_LOAD_H_

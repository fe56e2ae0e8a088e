// The key reference of the spec language, generated from the field table
// (fields.h): one row per key with its type, default, Mesos field and
// meaning. Rendered as the table of docs/spec.md and as the KEYS section of
// the mesos-launch-spec(5) man page; tests keep both files equal to this
// output (scripts/regenerate.sh rewrites them).
#ifndef MLAUNCH_LAUNCHER_SPEC_DOCS_H_
#define MLAUNCH_LAUNCHER_SPEC_DOCS_H_

#include <string>
#include <vector>

namespace mlaunch::spec {

struct KeyRow {
  std::string path;  // "tasks[].resources.cpus"
  bool required = false;
  std::string type;   // "duration", "`http` | `tcp` | `command`", ... (Markdown)
  std::string def;    // the default, or empty
  std::string mesos;  // the Mesos field it becomes, or empty
  std::string doc;    // what it does (Markdown)
};

// Every key, each parent before its children.
std::vector<KeyRow> KeyRows();

// Markdown, ending in a newline.
std::string ReferenceTables();

// man(7) markup: one .TP paragraph per key, ending in a newline.
std::string ReferenceManSection();

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_DOCS_H_

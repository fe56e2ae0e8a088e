#include "launcher/spec/load.h"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <vector>

#include "launcher/spec/fields.h"
#include "launcher/spec/reader.h"
#include "launcher/spec/validate.h"

namespace mlaunch::spec {
namespace {

// "specs/web.yaml" -> "web"
std::string Stem(const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  size_t dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "spec" : base;
}

SourceLoc MarkLoc(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// Returns false when there is no document to check further.
bool ReadDocument(std::string_view text, Spec& spec, Diagnostics& diagnostics) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    diagnostics.Error(MarkLoc(e.mark), "", "YAML syntax: " + e.msg);
    return false;
  }
  if (documents.empty() || documents[0].IsNull()) {
    diagnostics.Error({1, 1}, "", "the spec is empty", "a spec starts with 'version: 1'");
    return false;
  }
  if (documents.size() > 1) {
    diagnostics.Error(Reader::Loc(documents[1]), "",
                      "a spec file holds one YAML document; this is a second one",
                      "put each spec in its own file");
  }
  const YAML::Node& root = documents[0];
  if (!root.IsMap()) {
    diagnostics.Error(Reader::Loc(root), "", "a spec must be a mapping of keys",
                      "a spec starts with 'version: 1'");
    return false;
  }
  Reader reader(diagnostics, spec.where);
  MapReader top(reader, {Layer{root, ""}});
  TaskDefaults defaults;
  Visit(top, spec, defaults);
  top.Finish();
  return true;
}

}  // namespace

LoadResult Load(std::string_view text, const std::string& file) {
  LoadResult result{Spec{}, Diagnostics(file)};
  Spec& spec = result.spec;
  spec.file = file;
  spec.source = std::string(text);
  bool read = false;
  try {
    read = ReadDocument(text, spec, result.diagnostics);
  } catch (const std::exception& e) {
    // yaml-cpp may throw from node access on odd input; nothing escapes.
    result.diagnostics.Error({}, "", std::string("could not read the spec: ") + e.what());
  }
  if (spec.framework.name.empty()) spec.framework.name = "mesos-launch-" + Stem(file);
  if (read) Validate(spec, result.diagnostics);
  return result;
}

}  // namespace mlaunch::spec

#include "launcher/spec/load.h"

#include <exception>
#include <string>

#include "common/yaml_tree.h"
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

// What to do about yaml-cpp's syntax errors, by their message.
std::string SyntaxHint(const std::string& message) {
  static const std::pair<const char*, const char*> kHints[] = {
      {"end of sequence flow not found", "a '[' list above is not closed; add ']'"},
      {"end of map flow not found", "a '{' mapping above is not closed; add '}'"},
      {"illegal tab when looking for indentation", "indent with spaces; YAML does not allow tabs"},
      {"illegal map value",
       "check the indentation, and quote a value that contains ': ' or starts with '{', '[' or "
       "'*'"},
      {"end of map not found", "check the indentation of the lines above"},
      {"end of sequence not found", "check the indentation of the lines above"},
      {"illegal EOF in scalar", "a quote is not closed"},
      {"the referenced anchor is not defined", "define '&name' before using '*name'"},
  };
  for (const auto& [text, hint] : kHints) {
    if (message == text) return hint;
  }
  return {};
}

// Returns false when there is no document to check further.
bool ReadDocument(std::string_view text, Spec& spec, Diagnostics& diagnostics) {
  YamlDocument document;
  std::string error;
  SourceLoc where;
  if (!ParseYaml(text, document, error, where)) {
    diagnostics.Error(where, "", "YAML syntax: " + error, SyntaxHint(error));
    return false;
  }
  const YamlNode* root = document.root;
  if (root->IsNull()) {
    diagnostics.Error({1, 1}, "", "the spec is empty", "a spec starts with 'version: 1'");
    return false;
  }
  if (document.second_start) {
    diagnostics.Error(*document.second_start, "",
                      "a spec file holds one YAML document; this is a second one",
                      "put each spec in its own file");
  }
  if (!root->IsMap()) {
    diagnostics.Error(root->loc, "", "a spec must be a mapping of keys",
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

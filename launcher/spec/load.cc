#include "launcher/spec/load.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <exception>
#include <optional>
#include <sstream>
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

// Where a second YAML document starts, if the text has one. Asks the parser
// for two documents at most: yaml-cpp 0.7's LoadAll() can loop forever on
// some malformed input (found by the fuzzer), so it is not used.
class DocumentCounter : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

std::optional<YAML::Mark> SecondDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentCounter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  if (counter.starts.size() < 2) return std::nullopt;
  return counter.starts[1];
}

SourceLoc MarkLoc(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// Returns false when there is no document to check further.
bool ReadDocument(std::string_view text, Spec& spec, Diagnostics& diagnostics) {
  YAML::Node root;
  std::optional<YAML::Mark> second;
  try {
    std::string copy(text);
    root = YAML::Load(copy);
    second = SecondDocument(copy);
  } catch (const YAML::Exception& e) {
    diagnostics.Error(MarkLoc(e.mark), "", "YAML syntax: " + e.msg);
    return false;
  }
  if (root.IsNull()) {
    diagnostics.Error({1, 1}, "", "the spec is empty", "a spec starts with 'version: 1'");
    return false;
  }
  if (second) {
    diagnostics.Error(MarkLoc(*second), "",
                      "a spec file holds one YAML document; this is a second one",
                      "put each spec in its own file");
  }
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

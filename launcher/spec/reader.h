// Reads a YAML document into the typed spec by walking the field table
// (fields.h). Internal to launcher/spec; load.h is the public entry point.
//
// Every problem becomes a Diagnostic at the exact YAML position; reading goes
// on after an error so that one pass reports everything. Values may be seen
// through layers (a task, then `defaults:`): the first layer that has a key
// wins, mappings of fields merge key by key, lists are taken whole.
//
// Pure: no I/O. yaml-cpp exceptions never leave this unit.
#ifndef MLAUNCH_LAUNCHER_SPEC_READER_H_
#define MLAUNCH_LAUNCHER_SPEC_READER_H_

#include <concepts>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/diagnostic.h"
#include "common/regex.h"
#include "common/yaml_tree.h"
#include "launcher/spec/fields.h"
#include "launcher/spec/spec.h"

namespace mlaunch::spec {

// One YAML node and the document path it was found at.
struct Layer {
  const YamlNode* node;
  std::string path;
};
using Layers = std::vector<Layer>;  // strongest first; never empty when read

// What all readers of one document share.
class Reader {
 public:
  Reader(Diagnostics& diagnostics, SourceMap& where) : diagnostics_(diagnostics), where_(where) {}

  static SourceLoc Loc(const YamlNode* node) { return node->loc; }
  void Error(const YamlNode* at, const std::string& path, std::string message,
             std::string hint = {});
  void Remember(const Layer& layer) { where_.Set(layer.path, Loc(layer.node)); }

  // True when `text` matches `pattern` as a whole (patterns are compiled once).
  bool Matches(std::string_view pattern, const std::string& text);

  // The `defaults:` mapping, once read; appended to every task's layers.
  Layers task_defaults;

 private:
  Diagnostics& diagnostics_;
  SourceMap& where_;
  std::map<std::string_view, Regex> patterns_;
};

// ---- Values. Each reads `layers` into `out`, or reports and leaves `out`.
void ReadValue(Reader& r, const Layers& layers, bool& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, int64_t& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, double& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, std::string& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Duration& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Megabytes& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Labels& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, std::map<std::string, EnvVar>& out,
               const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Constraint& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, EnvVar& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Dependency& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Port& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, Task& out, const FieldInfo& info);
void ReadValue(Reader& r, const Layers& layers, TaskDefaults& out, const FieldInfo& info);
template <SpecEnum E>
void ReadValue(Reader& r, const Layers& layers, E& out, const FieldInfo& info);
template <typename T>
void ReadValue(Reader& r, const Layers& layers, std::optional<T>& out, const FieldInfo& info);
template <typename T>
void ReadValue(Reader& r, const Layers& layers, std::vector<T>& out, const FieldInfo& info);
template <typename T>
void ReadStruct(Reader& r, const Layers& layers, T& out);

// Keys written twice in one mapping: for each entry, the first scalar key
// before it with the same text.
class DuplicateKeys {
 public:
  explicit DuplicateKeys(const YamlNode& map);
  // The earlier key entry `i` repeats, or null when it is the first.
  const YamlNode* EarlierOf(size_t i) const { return earlier_.empty() ? nullptr : earlier_[i]; }

 private:
  std::vector<const YamlNode*> earlier_;  // empty when no key repeats
};

// Reads the keys of one mapping, seen through its layers.
class MapReader {
 public:
  // With `require` false, missing required keys are not reported (the
  // top of `defaults:`, where a task's own keys are still to come).
  MapReader(Reader& reader, Layers layers, bool require = true);

  template <typename T>
  void Field(std::string_view key, T& out, const FieldInfo& info);
  void Foreign(std::string_view theirs, std::string_view ours) {
    foreign_.emplace_back(theirs, ours);
  }
  // Reports unknown and duplicate keys of every layer. Call once, last.
  void Finish();

 private:
  Reader& reader_;
  Layers layers_;
  bool require_;
  std::vector<std::string_view> known_;  // the field table's keys (static text)
  std::vector<std::pair<std::string_view, std::string_view>> foreign_;
};

// The value of `key` in `map`, if `map` is a mapping that has it.
const YamlNode* Lookup(const YamlNode* map, std::string_view key);
std::string JoinPath(const std::string& path, std::string_view key);
// The same as matching kNamePattern, without a regex.
bool IsName(std::string_view text);
// The same as matching kEnvNamePattern, without a regex.
bool IsEnvName(std::string_view text);
bool SameIgnoringCase(std::string_view a, std::string_view b);
// Names an enum's spellings for messages: "a", "b" or "c".
std::string OneOf(const std::vector<std::string>& names);

template <typename T>
void MapReader::Field(std::string_view key, T& out, const FieldInfo& info) {
  known_.push_back(key);
  Layers found;
  const YamlNode* own = nullptr;  // the value in the strongest layer, if it has the key
  for (const Layer& layer : layers_) {
    if (const YamlNode* value = Lookup(layer.node, key)) {
      if (&layer == &layers_.front()) own = value;
      found.push_back({value, JoinPath(layer.path, key)});
    }
  }
  if (found.empty()) {
    if (info.required && require_) {
      reader_.Error(layers_.front().node, layers_.front().path,
                    "missing required key '" + std::string(key) + "'");
    }
    return;
  }
  reader_.Remember(found.front());
  if (found.front().node != own) {
    // A value from `defaults:` is also where this task's key points.
    reader_.Remember({found.front().node, JoinPath(layers_.front().path, key)});
  }
  ReadValue(reader_, found, out, info);
}

template <typename T>
void ReadStruct(Reader& r, const Layers& layers, T& out) {
  Layers maps;
  for (const Layer& layer : layers) {
    if (layer.node->IsMap()) {
      maps.push_back(layer);
    } else if (!layer.node->IsNull()) {
      r.Error(layer.node, layer.path, "must be a mapping (key: value lines)");
    }
  }
  if (maps.empty()) return;
  MapReader reader(r, std::move(maps));
  Visit(reader, out);
  reader.Finish();
}

template <SpecEnum E>
void ReadValue(Reader& r, const Layers& layers, E& out, const FieldInfo&) {
  const Layer& l = layers.front();
  std::vector<std::string> names;
  for (const auto& [value, name] : EnumTable<E>::kValues) names.emplace_back(name);
  if (l.node->IsScalar()) {
    for (const auto& [value, name] : EnumTable<E>::kValues) {
      if (l.node->text == name) {
        out = value;
        return;
      }
    }
  }
  std::string got = l.node->IsScalar() ? "'" + l.node->text + "'" : "not a word";
  std::string hint;
  if (l.node->IsScalar()) {
    std::string close = ClosestMatch(l.node->text, names);
    for (const std::string& name : names) {
      if (SameIgnoringCase(name, l.node->text)) close = name;
    }
    if (!close.empty()) hint = "did you mean '" + close + "'?";
  }
  r.Error(l.node, l.path, "must be " + OneOf(names) + " (got " + got + ")", hint);
}

template <typename T>
void ReadValue(Reader& r, const Layers& layers, std::optional<T>& out, const FieldInfo& info) {
  // An explicit null clears a default: `health_check: ~` means none.
  if (layers.front().node->IsNull()) {
    out.reset();
    return;
  }
  if (!out) out.emplace();
  ReadValue(r, layers, *out, info);
}

template <typename T>
void ReadValue(Reader& r, const Layers& layers, std::vector<T>& out, const FieldInfo& info) {
  const Layer& l = layers.front();
  if (l.node->IsNull()) return;
  if (!l.node->IsSequence()) {
    r.Error(l.node, l.path, "must be a list (lines starting with '- ', or [a, b])");
    return;
  }
  FieldInfo element = info;
  element.required = false;
  out.clear();
  std::vector<std::string> names;
  for (const YamlNode* item : l.node->items) {
    const YamlNode* name = Lookup(item, "name");
    names.push_back(name && name->IsScalar() ? name->text : std::string());
  }
  std::vector<std::string> labels = ItemLabels(names);
  size_t index = 0;
  for (const YamlNode* item : l.node->items) {
    Layer item_layer{item, l.path + "[" + labels[index++] + "]"};
    r.Remember(item_layer);
    out.emplace_back();
    ReadValue(r, Layers{item_layer}, out.back(), element);
  }
}

// Structs without a reader of their own are read through their Visit().
template <typename T>
requires requires(MapReader& m, T& t) { Visit(m, t); }
void ReadValue(Reader& r, const Layers& layers, T& out, const FieldInfo&) {
  ReadStruct(r, layers, out);
}

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_READER_H_

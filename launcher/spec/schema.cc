#include "launcher/spec/schema.h"

#include <nlohmann/json.hpp>

#include "common/json_text.h"
#include "launcher/spec/fields.h"

namespace mlaunch::spec {
namespace {

using nlohmann::json;

const json kScalar = {{"type", {"string", "number", "boolean"}}};
// The loader's duration and size grammars (units.h), as patterns.
constexpr const char* kDurationPattern =
    "^ *(?=[0-9])([0-9]+(\\.[0-9]+)? *w *)?([0-9]+(\\.[0-9]+)? *d *)?([0-9]+(\\.[0-9]+)? *h *)?"
    "([0-9]+(\\.[0-9]+)? *m *)?([0-9]+(\\.[0-9]+)? *s *)?([0-9]+(\\.[0-9]+)? *ms *)?$"
    "|^ *[0-9]+(\\.[0-9]+)? *$";
constexpr const char* kSizePattern = "^ *[0-9]+(\\.[0-9]+)? *([Bb]|[KkMmGgTt][Ii]?[Bb]?)? *$";

class ObjectSchema;

void AddRange(json& s, const FieldInfo& info) {
  if (info.min) s[info.min_exclusive ? "exclusiveMinimum" : "minimum"] = *info.min;
  if (info.max) s["maximum"] = *info.max;
}

// Every overload is declared first, so the templates below see them all.
json SchemaOf(const bool&, const FieldInfo&);
json SchemaOf(const int64_t&, const FieldInfo& info);
json SchemaOf(const double&, const FieldInfo& info);
json SchemaOf(const std::string&, const FieldInfo& info);
json SchemaOf(const Duration&, const FieldInfo&);
json SchemaOf(const Megabytes&, const FieldInfo& info);
json SchemaOf(const Extract&, const FieldInfo&);
json SchemaOf(const Labels&, const FieldInfo&);
json SchemaOf(const Port&, const FieldInfo&);
json SchemaOf(const Dependency&, const FieldInfo&);
json SchemaOf(const EnvVar&, const FieldInfo&);
json SchemaOf(const std::map<std::string, EnvVar>&, const FieldInfo& info);
json SchemaOf(const Constraint&, const FieldInfo&);
json SchemaOf(const TaskDefaults&, const FieldInfo&);
template <SpecEnum E>
json SchemaOf(const E&, const FieldInfo&);
template <typename T>
json SchemaOf(const std::optional<T>&, const FieldInfo& info);
template <typename T>
json SchemaOf(const std::vector<T>&, const FieldInfo& info);
template <typename T>
requires requires(ObjectSchema& o, T& t) { Visit(o, t); }
json SchemaOf(const T&, const FieldInfo&);

json SchemaOf(const bool&, const FieldInfo&) { return {{"type", "boolean"}}; }
json SchemaOf(const int64_t&, const FieldInfo& info) {
  json s = {{"type", "integer"}};
  AddRange(s, info);
  return s;
}
json SchemaOf(const double&, const FieldInfo& info) {
  json s = {{"type", "number"}};
  AddRange(s, info);
  return s;
}
json SchemaOf(const std::string&, const FieldInfo& info) {
  json s = info.any_scalar ? kScalar : json{{"type", "string"}};
  if (!info.pattern.empty()) s["pattern"] = std::string(info.pattern);
  if (info.required) s["minLength"] = 1;
  return s;
}
json SchemaOf(const Duration&, const FieldInfo&) {
  return {{"type", {"string", "number"}}, {"pattern", kDurationPattern}, {"minimum", 0}};
}
json SchemaOf(const Megabytes&, const FieldInfo& info) {
  json s = {{"type", {"string", "number"}}, {"pattern", kSizePattern}};
  AddRange(s, info);
  return s;
}
template <SpecEnum E>
json SchemaOf(const E&, const FieldInfo&) {
  json names = json::array();
  for (const auto& [value, name] : EnumTable<E>::kValues) names.push_back(std::string(name));
  return {{"enum", names}};
}
json SchemaOf(const Extract&, const FieldInfo&) { return {{"enum", {"auto", true, false}}}; }
json SchemaOf(const Labels&, const FieldInfo&) {
  return {{"type", {"object", "null"}}, {"additionalProperties", kScalar}};
}
template <typename T>
json SchemaOf(const std::optional<T>&, const FieldInfo& info) {
  return {{"anyOf", {SchemaOf(T{}, info), {{"type", "null"}}}}};
}
template <typename T>
json SchemaOf(const std::vector<T>&, const FieldInfo& info) {
  FieldInfo element = info;
  element.required = false;
  return {{"type", {"array", "null"}}, {"items", SchemaOf(T{}, element)}};
}

template <typename T>
json StructSchema(T& value, bool require = true);

template <typename T>
requires requires(ObjectSchema& o, T& t) { Visit(o, t); }
json SchemaOf(const T&, const FieldInfo&) {
  T scratch{};
  return StructSchema(scratch);
}

json NameSchema() { return {{"type", "string"}, {"pattern", std::string(kNamePattern)}}; }

json SchemaOf(const Port&, const FieldInfo&) {
  Port scratch;
  return {{"anyOf", {NameSchema(), StructSchema(scratch)}}};
}
json SchemaOf(const Dependency&, const FieldInfo&) {
  Dependency scratch;
  return {{"anyOf", {NameSchema(), StructSchema(scratch)}}};
}
json SchemaOf(const EnvVar&, const FieldInfo&) {
  EnvVar scratch;
  return {{"anyOf", {kScalar, StructSchema(scratch)}}};
}
json SchemaOf(const std::map<std::string, EnvVar>&, const FieldInfo& info) {
  return {{"type", {"object", "null"}},
          {"propertyNames", {{"pattern", std::string(kEnvNamePattern)}}},
          {"additionalProperties", SchemaOf(EnvVar{}, info)}};
}
json SchemaOf(const Constraint&, const FieldInfo&) {
  Constraint scratch;
  json triple = {{"type", "array"},
                 {"minItems", 2},
                 {"maxItems", 3},
                 {"items", {{{"type", "string"}}, SchemaOf(ConstraintOp{}, {}), kScalar}}};
  return {{"anyOf", {triple, StructSchema(scratch)}}};
}
json SchemaOf(const TaskDefaults&, const FieldInfo&) {
  Task scratch;
  json s = StructSchema(scratch, /*require=*/false);
  s["properties"].erase("name");
  return s;
}

std::string Describe(const FieldInfo& info) {
  std::string text(info.doc);
  if (!info.def.empty()) text += ". Default: " + std::string(info.def);
  if (!info.mesos.empty()) text += ". Mesos: " + std::string(info.mesos);
  return text;
}

class ObjectSchema {
 public:
  explicit ObjectSchema(bool require) : require_(require) {}

  template <typename T>
  void Field(std::string_view key, T& member, const FieldInfo& info) {
    json s = SchemaOf(member, info);
    s["description"] = Describe(info);
    properties_[std::string(key)] = std::move(s);
    if (info.required && require_) required_.push_back(std::string(key));
  }
  void Foreign(std::string_view, std::string_view) {}

  json Done() const {
    json s = {
        {"type", {"object", "null"}}, {"properties", properties_}, {"additionalProperties", false}};
    if (!required_.empty()) s["required"] = required_;
    return s;
  }

 private:
  bool require_;
  json properties_ = json::object();
  std::vector<std::string> required_;
};

template <typename T>
json StructSchema(T& value, bool require) {
  ObjectSchema o(require);
  Visit(o, value);
  return o.Done();
}

}  // namespace

std::string JsonSchema() {
  ObjectSchema top(true);
  Spec spec;
  TaskDefaults defaults;
  Visit(top, spec, defaults);
  json s = top.Done();
  s["type"] = "object";
  json head = {{"$schema", "http://json-schema.org/draft-07/schema#"},
               {"title", "mesos-launch spec, version 1"},
               {"description",
                "One YAML file that says what to run on Mesos. "
                "Reference: docs/spec.md"}};
  head.update(s);
  s = std::move(head);
  return JsonText(s, 2) + "\n";
}

}  // namespace mlaunch::spec

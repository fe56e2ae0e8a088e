#include "launcher/spec/reader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>
#include <cmath>
#include <type_traits>
#include <unordered_map>

namespace mlaunch::spec {

void Reader::Error(const YamlNode* at, const std::string& path, std::string message,
                   std::string hint) {
  diagnostics_.Error(Loc(at), path, std::move(message), std::move(hint));
}

bool IsName(std::string_view text) {
  if (text.empty() || text.size() > 63 || text.front() < 'a' || text.front() > 'z' ||
      text.back() == '-') {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool IsEnvName(std::string_view text) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  return !text.empty() && letter(text.front()) &&
         std::all_of(text.begin(), text.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9'); });
}

bool Reader::Matches(std::string_view pattern, const std::string& text) {
  // Names are checked for every task and port; kNamePattern says the same.
  if (pattern == kNamePattern) return IsName(text);
  if (pattern == kEnvNamePattern) return IsEnvName(text);
  auto it = patterns_.find(pattern);
  if (it == patterns_.end()) {
    Result<Regex> compiled = Regex::Compile(pattern);
    assert(compiled.ok());  // the field table's own patterns (a test compiles each)
    if (!compiled.ok()) return false;
    it = patterns_.emplace(pattern, std::move(compiled).value()).first;
  }
  return it->second.PartialMatch(text);
}

const YamlNode* Lookup(const YamlNode* map, std::string_view key) {
  if (!map->IsMap()) return nullptr;
  for (const auto& [k, value] : map->entries) {
    if (k->IsScalar() && k->text == key) return value;
  }
  return nullptr;
}

std::string JoinPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::string OneOf(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += "'" + names[i] + "'";
  }
  return out;
}

DuplicateKeys::DuplicateKeys(const YamlNode& map) {
  const auto& entries = map.entries;
  auto note = [&](size_t i, const YamlNode* first) {
    if (earlier_.empty()) earlier_.resize(entries.size());
    earlier_[i] = first;
  };
  // Most mappings hold a handful of keys: comparing pairs beats hashing.
  constexpr size_t kSmall = 16;
  if (entries.size() <= kSmall) {
    for (size_t i = 1; i < entries.size(); ++i) {
      const YamlNode* key = entries[i].first;
      if (!key->IsScalar()) continue;
      for (size_t j = 0; j < i; ++j) {
        const YamlNode* other = entries[j].first;
        if (other->IsScalar() && other->text == key->text) {
          note(i, other);
          break;
        }
      }
    }
    return;
  }
  std::unordered_map<std::string_view, const YamlNode*> first;
  first.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const YamlNode* key = entries[i].first;
    if (!key->IsScalar()) continue;
    auto [seen, fresh] = first.emplace(key->text, key);
    if (!fresh) note(i, seen->second);
  }
}

MapReader::MapReader(Reader& reader, Layers layers, bool require)
    : reader_(reader), layers_(std::move(layers)), require_(require) {}

void MapReader::Finish() {
  for (const Layer& layer : layers_) {
    const DuplicateKeys duplicates(*layer.node);
    for (size_t i = 0; i < layer.node->entries.size(); ++i) {
      const YamlNode* key = layer.node->entries[i].first;
      if (!key->IsScalar()) {
        reader_.Error(key, layer.path, "keys must be plain words");
        continue;
      }
      const std::string& name = key->text;
      if (const YamlNode* first = duplicates.EarlierOf(i)) {
        reader_.Error(key, JoinPath(layer.path, name),
                      "duplicate key '" + name + "' (first at line " +
                          std::to_string(Reader::Loc(first).line) + ")",
                      "remove one of them");
        continue;
      }
      if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;

      std::vector<std::string> known(known_.begin(), known_.end());
      std::string hint;
      for (const auto& [theirs, ours] : foreign_) {
        if (theirs == name) hint = "did you mean '" + std::string(ours) + "'?";
      }
      if (hint.empty()) {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        std::string close = ClosestMatch(lower, known);
        if (!close.empty()) hint = "did you mean '" + close + "'?";
      }
      if (hint.empty()) {
        std::vector<std::string> allowed = known;
        if (!require_) std::erase(allowed, "name");  // not inside defaults:
        hint = "expected " + OneOf(allowed);
      }
      reader_.Error(key, JoinPath(layer.path, name), "unknown key '" + name + "'", hint);
    }
  }
}

namespace {

bool IsPlain(const YamlNode* node) { return node->plain; }

// True for the plain decimals yaml-cpp reads as anyone would: an optional
// '-', then "0" or digits not starting with 0 (yaml-cpp reads 010 as octal),
// and with `fraction`, optionally '.' and digits; at most `max_digits`.
bool IsSimpleDecimal(std::string_view s, bool fraction, size_t max_digits) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  const size_t dot = fraction ? s.find('.') : std::string_view::npos;
  const std::string_view whole = s.substr(0, dot);
  auto digits = [](std::string_view d) {
    return !d.empty() &&
           std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(whole) || (whole.size() > 1 && whole.front() == '0') || s.size() > max_digits + 1) {
    return false;
  }
  return dot == std::string_view::npos || digits(s.substr(dot + 1));
}

// yaml-cpp's own reading of a scalar as T (int64_t or double). The common
// simple decimals are read here with the same result, without the
// YAML::Node and stringstream yaml-cpp builds for each.
template <typename T>
bool Decode(const YamlNode* node, T& value) {
  const std::string& text = node->text;
  constexpr bool kInteger = std::is_integral_v<T>;
  if (IsSimpleDecimal(text, !kInteger, kInteger ? 18 : 30)) {
    T parsed{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (error == std::errc() && end == text.data() + text.size()) {
      value = parsed;
      return true;
    }
  }
  return YAML::convert<T>::decode(YAML::Node(text), value);
}

// Reports and returns false unless the first layer holds a single value.
bool ExpectScalar(Reader& r, const Layer& l, std::string_view what) {
  if (l.node->IsScalar()) return true;
  if (l.node->IsNull()) {
    r.Error(l.node, l.path, "has no value; give " + std::string(what) + " or remove the key");
  } else {
    r.Error(
        l.node, l.path,
        "must be " + std::string(what) + " (got a " + (l.node->IsMap() ? "mapping" : "list") + ")");
  }
  return false;
}

std::string Number(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

void CheckRange(Reader& r, const Layer& l, double value, const FieldInfo& info) {
  if (info.min && info.max && *info.min == *info.max && value != *info.min) {
    r.Error(l.node, l.path, "must be " + Number(*info.min) + " (got " + l.node->text + ")",
            "this mesos-launch reads only that version");
  } else if (info.min && (info.min_exclusive ? !(value > *info.min) : !(value >= *info.min))) {
    r.Error(l.node, l.path,
            std::string("must be ") + (info.min_exclusive ? "> " : ">= ") + Number(*info.min) +
                " (got " + l.node->text + ")");
  } else if (info.max && !(value <= *info.max)) {
    r.Error(l.node, l.path, "must be <= " + Number(*info.max) + " (got " + l.node->text + ")");
  }
}

// YAML reads unquoted true/false as booleans; anything else is not one.
std::optional<bool> PlainBool(const YamlNode* node) {
  if (!IsPlain(node)) return std::nullopt;
  const std::string& s = node->text;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

std::optional<double> PlainNumber(const YamlNode* node) {
  double value = 0;
  // Every YAML number starts like this; asking yaml-cpp is the slow part.
  const char first = node->text.empty() ? ' ' : node->text[0];
  bool may_be_number =
      (first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.';
  if (!IsPlain(node) || !may_be_number || !Decode(node, value) || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// Scalars written where text is expected: numbers and booleans become their
// text, as in labels and environment values.
std::optional<std::string> AnyScalarText(Reader& r, const Layer& l) {
  if (!ExpectScalar(r, l, "a value")) return std::nullopt;
  return l.node->text;
}

}  // namespace

void ReadValue(Reader& r, const Layers& layers, bool& out, const FieldInfo&) {
  const Layer& l = layers.front();
  if (!ExpectScalar(r, l, "true or false")) return;
  if (std::optional<bool> value = PlainBool(l.node)) {
    out = *value;
  } else {
    r.Error(l.node, l.path, "must be true or false (got '" + l.node->text + "')");
  }
}

void ReadValue(Reader& r, const Layers& layers, int64_t& out, const FieldInfo& info) {
  const Layer& l = layers.front();
  if (!ExpectScalar(r, l, "a whole number")) return;
  int64_t value = 0;
  if (!IsPlain(l.node) && Decode(l.node, value)) {
    r.Error(l.node, l.path, "is quoted text, not a number",
            "write " + l.node->text + " without quotes");
    return;
  }
  if (!IsPlain(l.node) || !Decode(l.node, value)) {
    r.Error(l.node, l.path, "must be a whole number (got '" + l.node->text + "')");
    return;
  }
  CheckRange(r, l, static_cast<double>(value), info);
  out = value;
}

void ReadValue(Reader& r, const Layers& layers, double& out, const FieldInfo& info) {
  const Layer& l = layers.front();
  if (!ExpectScalar(r, l, "a number")) return;
  std::optional<double> value = PlainNumber(l.node);
  double quoted = 0;
  if (!value && !IsPlain(l.node) && Decode(l.node, quoted)) {
    r.Error(l.node, l.path, "is quoted text, not a number",
            "write " + l.node->text + " without quotes");
    return;
  }
  if (!value) {
    r.Error(l.node, l.path, "must be a number (got '" + l.node->text + "')");
    return;
  }
  CheckRange(r, l, *value, info);
  out = *value;
}

void ReadValue(Reader& r, const Layers& layers, std::string& out, const FieldInfo& info) {
  const Layer& l = layers.front();
  if (l.node->IsNull() && !info.required) {
    out.clear();  // `command: ~` clears a value from defaults
    return;
  }
  if (!ExpectScalar(r, l, "a string")) return;
  const std::string& text = l.node->text;
  if (!info.any_scalar && (PlainBool(l.node) || PlainNumber(l.node))) {
    r.Error(l.node, l.path, "must be a string (got '" + text + "')", "quote it: \"" + text + "\"");
    return;
  }
  if (info.required && text.empty()) {
    r.Error(l.node, l.path, "must not be empty");
    return;
  }
  if (!info.pattern.empty() && !r.Matches(info.pattern, text)) {
    std::string rule = info.pattern_text.empty() ? "like " + std::string(info.pattern)
                                                 : std::string(info.pattern_text);
    r.Error(l.node, l.path, "'" + text + "' is not valid: must be " + rule);
  }
  out = text;  // kept even when invalid, so later messages name it as written
}

void ReadValue(Reader& r, const Layers& layers, Duration& out, const FieldInfo&) {
  const Layer& l = layers.front();
  if (!ExpectScalar(r, l, "a duration")) return;
  std::optional<Duration> value = ParseDuration(l.node->text);
  if (!value) {
    r.Error(l.node, l.path, "'" + l.node->text + "' is not a duration",
            "write e.g. 500ms, 10s, 5m, 1h30m, 2d (a bare number is seconds)");
    return;
  }
  out = *value;
}

void ReadValue(Reader& r, const Layers& layers, Megabytes& out, const FieldInfo& info) {
  const Layer& l = layers.front();
  if (!ExpectScalar(r, l, "a size")) return;
  std::optional<Megabytes> value = ParseMegabytes(l.node->text);
  if (!value && !l.node->text.empty() && l.node->text[0] == '-') {
    r.Error(l.node, l.path, "must be >= 0 (got " + l.node->text + ")");
    return;
  }
  if (!value) {
    r.Error(l.node, l.path, "'" + l.node->text + "' is not a size",
            "write a number of MB, or e.g. 512MiB, 1.5GiB");
    return;
  }
  CheckRange(r, l, value->value, info);
  out = *value;
}

namespace {

// Mappings of names merge through the layers: the weakest layer first, so
// stronger layers overwrite.
template <typename V, typename ReadOne>
void ReadNamedMap(Reader& r, const Layers& layers, std::map<std::string, V>& out,
                  std::string_view key_pattern, ReadOne read_one) {
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    if (layer->node->IsNull()) continue;
    if (!layer->node->IsMap()) {
      r.Error(layer->node, layer->path, "must be a mapping (NAME: value lines)");
      continue;
    }
    const DuplicateKeys duplicates(*layer->node);
    for (size_t i = 0; i < layer->node->entries.size(); ++i) {
      const auto& [key, value] = layer->node->entries[i];
      if (!key->IsScalar() || key->text.empty()) {
        r.Error(key, layer->path, "keys must be plain words");
        continue;
      }
      const std::string& name = key->text;
      Layer item{value, JoinPath(layer->path, name)};
      if (const YamlNode* first = duplicates.EarlierOf(i)) {
        r.Error(key, item.path,
                "duplicate key '" + name + "' (first at line " +
                    std::to_string(Reader::Loc(first).line) + ")",
                "remove one of them");
        continue;
      }
      if (!key_pattern.empty() && !r.Matches(key_pattern, name)) {
        r.Error(key, item.path,
                "'" + name + "' is not a valid name: must be " + std::string(kEnvNameText));
        continue;
      }
      r.Remember(item);
      read_one(item, out[name]);
    }
  }
}

}  // namespace

void ReadValue(Reader& r, const Layers& layers, Labels& out, const FieldInfo&) {
  ReadNamedMap(r, layers, out, "", [&](const Layer& item, std::string& value) {
    if (std::optional<std::string> text = AnyScalarText(r, item)) value = *text;
  });
}

void ReadValue(Reader& r, const Layers& layers, std::map<std::string, EnvVar>& out,
               const FieldInfo&) {
  ReadNamedMap(r, layers, out, kEnvNamePattern, [&](const Layer& item, EnvVar& var) {
    var = EnvVar{};
    var.name = item.path.substr(item.path.rfind('.') + 1);
    ReadValue(r, Layers{item}, var, FieldInfo{});
  });
}

void ReadValue(Reader& r, const Layers& layers, EnvVar& out, const FieldInfo&) {
  const Layer& l = layers.front();
  if (l.node->IsMap()) {
    ReadStruct(r, Layers{l}, out);
    return;
  }
  if (std::optional<std::string> text = AnyScalarText(r, l)) out.value = *text;
}

namespace {

// Items written either as a mapping or, for short, as just a name.
template <typename T>
void ReadNameOrMapping(Reader& r, const Layer& l, T& out, std::string& name) {
  if (l.node->IsMap()) {
    ReadStruct(r, Layers{l}, out);
    return;
  }
  ReadValue(
      r, Layers{l}, name,
      FieldInfo{.doc = "", .required = true, .pattern = kNamePattern, .pattern_text = kNameText});
}

}  // namespace

void ReadValue(Reader& r, const Layers& layers, Dependency& out, const FieldInfo&) {
  ReadNameOrMapping(r, layers.front(), out, out.task);
}

void ReadValue(Reader& r, const Layers& layers, Port& out, const FieldInfo&) {
  ReadNameOrMapping(r, layers.front(), out, out.name);
}

void ReadValue(Reader& r, const Layers& layers, Constraint& out, const FieldInfo&) {
  const Layer& l = layers.front();
  if (l.node->IsMap()) {
    ReadStruct(r, Layers{l}, out);
    return;
  }
  if (!l.node->IsSequence() || l.node->items.size() < 2 || l.node->items.size() > 3) {
    r.Error(l.node, l.path, "must be [field, OPERATOR] or [field, OPERATOR, value]",
            "e.g. [hostname, UNIQUE] or [rack, GROUP_BY, 2]");
    return;
  }
  auto part = [&](size_t i) {
    Layer p{l.node->items[i], l.path + "[" + std::to_string(i) + "]"};
    r.Remember(p);
    return p;
  };
  ReadValue(r, Layers{part(0)}, out.field, FieldInfo{.doc = "", .required = true});
  ReadValue(r, Layers{part(1)}, out.op, FieldInfo{});
  if (l.node->items.size() == 3) {
    if (std::optional<std::string> text = AnyScalarText(r, part(2))) out.value = *text;
  }
}

void ReadValue(Reader& r, const Layers& layers, Task& out, const FieldInfo&) {
  Layers with_defaults = layers;
  with_defaults.insert(with_defaults.end(), r.task_defaults.begin(), r.task_defaults.end());
  ReadStruct(r, with_defaults, out);
}

void ReadValue(Reader& r, const Layers& layers, TaskDefaults& out, const FieldInfo&) {
  const Layer& l = layers.front();
  if (const YamlNode* name = Lookup(l.node, "name")) {
    r.Error(name, JoinPath(l.path, "name"), "a default name makes no sense",
            "each task names itself; remove it here");
  }
  if (l.node->IsNull()) return;
  if (!l.node->IsMap()) {
    r.Error(l.node, l.path, "must be a mapping of task keys");
    return;
  }
  MapReader reader(r, Layers{l}, /*require=*/false);
  Visit(reader, out.task);
  reader.Finish();
  r.task_defaults = Layers{l};
}

}  // namespace mlaunch::spec

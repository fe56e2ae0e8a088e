// A YAML document as plain values: built in one pass from yaml-cpp's parser
// events, with the 1-based position of every node. The project's one way of
// reading YAML (the spec loader, the cluster file): cheaper than YAML::Node,
// which costs a shared pointer per node and a second walk to find a second
// document, and guarded against yaml-cpp's failure modes (endless empty
// documents, control characters it mangles).
//
// Aliases point at their anchor's node, so a tree may share nodes (and an
// alias inside its own anchor makes a cycle); readers must only descend as
// far as the spec's shape goes. Not thread-safe; the document owns its nodes.
#ifndef MLAUNCH_COMMON_YAML_TREE_H_
#define MLAUNCH_COMMON_YAML_TREE_H_

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/diagnostic.h"

namespace mlaunch {

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  bool plain = true;  // a scalar written without quotes or tag
  std::string text;   // scalars only
  SourceLoc loc;
  std::vector<const YamlNode*> items;                                // sequences
  std::vector<std::pair<const YamlNode*, const YamlNode*>> entries;  // mappings, in order

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMap() const { return kind == Kind::kMap; }
};

struct YamlDocument {
  std::deque<YamlNode> nodes;             // owns every node; pointers stay valid
  const YamlNode* root = nullptr;         // the first document; never null once parsed
  std::optional<SourceLoc> second_start;  // where a second document starts, if any
};

// Parses the first document of `text` (and notes whether a second follows).
// On a syntax error returns false and sets `error` and `where`. Control
// characters other than tab, line feed and carriage return are errors (YAML
// streams may not hold them), reported where they are; so are bytes that
// are not UTF-8, and collections nested deeper than kMaxYamlDepth.
inline constexpr std::size_t kMaxYamlDepth = 64;
bool ParseYaml(std::string_view text, YamlDocument& document, std::string& error, SourceLoc& where);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_YAML_TREE_H_

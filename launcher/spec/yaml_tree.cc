#include "launcher/spec/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <sstream>

namespace mlaunch::spec {
namespace {

SourceLoc Loc(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// Builds the first document's nodes; of later documents it notes only where
// the second starts.
class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(YamlDocument& document) : document_(document) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) document_.second_start = Loc(mark);
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (Ignoring()) return;
    Add(New(YamlNode::Kind::kNull, mark), anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (Ignoring()) return;
    auto it = anchors_.find(anchor);
    Add(it != anchors_.end() ? it->second : New(YamlNode::Kind::kNull, mark), 0);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    if (Ignoring()) return;
    YamlNode* node = New(YamlNode::Kind::kScalar, mark);
    node->plain = tag == "?";
    node->text = value;
    Add(node, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (Ignoring()) return;
    Open(New(YamlNode::Kind::kSequence, mark), anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (Ignoring()) return;
    Open(New(YamlNode::Kind::kMap, mark), anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YamlNode* node;
    const YamlNode* pending_key = nullptr;  // maps: a key waiting for its value
  };

  bool Ignoring() const { return documents_ > 1; }

  YamlNode* New(YamlNode::Kind kind, const YAML::Mark& mark) {
    YamlNode& node = document_.nodes.emplace_back();
    node.kind = kind;
    node.loc = Loc(mark);
    return &node;
  }

  void Add(const YamlNode* node, YAML::anchor_t anchor) {
    if (anchor != 0) anchors_[anchor] = node;
    if (stack_.empty()) {
      if (!document_.root) document_.root = node;
      return;
    }
    Frame& top = stack_.back();
    if (top.node->IsSequence()) {
      top.node->items.push_back(node);
    } else if (!top.pending_key) {
      top.pending_key = node;
    } else {
      top.node->entries.emplace_back(top.pending_key, node);
      top.pending_key = nullptr;
    }
  }

  void Open(YamlNode* node, YAML::anchor_t anchor) {
    Add(node, anchor);
    stack_.push_back({node});
  }

  void Close() {
    if (!Ignoring() && !stack_.empty()) stack_.pop_back();
  }

  YamlDocument& document_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, const YamlNode*> anchors_;
  int documents_ = 0;
};

}  // namespace

bool ParseYaml(std::string_view text, YamlDocument& document, std::string& error,
               SourceLoc& where) {
  std::istringstream in{std::string(text)};
  TreeBuilder builder(document);
  try {
    YAML::Parser parser(in);
    // Two documents at most: yaml-cpp 0.7 can produce empty documents
    // forever on some malformed input (found by the fuzzer).
    for (int i = 0; i < 2 && parser.HandleNextDocument(builder); ++i) {
    }
  } catch (const YAML::Exception& e) {
    error = e.msg;
    where = Loc(e.mark);
    return false;
  }
  if (!document.root) document.root = &document.nodes.emplace_back();  // empty text
  return true;
}

}  // namespace mlaunch::spec

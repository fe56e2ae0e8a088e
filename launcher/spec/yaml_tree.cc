#include "launcher/spec/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <sstream>

namespace mlaunch::spec {
namespace {

// 1-based line and column; the column counts characters, not UTF-8 bytes.
SourceLoc Loc(const YAML::Mark& mark, std::string_view text) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  int column = mark.column + 1;
  if (mark.pos >= 0 && static_cast<size_t>(mark.pos) <= text.size() && mark.column > 0) {
    std::string_view before = text.substr(static_cast<size_t>(mark.pos - mark.column),
                                          static_cast<size_t>(mark.column));
    column = 1 + static_cast<int>(std::count_if(before.begin(), before.end(), [](char c) {
               return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
             }));
  }
  return {mark.line + 1, column};
}

// Builds the first document's nodes; of later documents it notes only where
// the second starts.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(YamlDocument& document, std::string_view text)
      : document_(document), text_(text) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 2) document_.second_start = Loc(mark, text_);
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (Ignoring()) return;
    YamlNode* node = New(YamlNode::Kind::kNull, mark);
    // An empty value is marked where the next token starts, often a line
    // later; its key is the place to point at.
    if (!stack_.empty() && stack_.back().pending_key) node->loc = stack_.back().pending_key->loc;
    Add(node, anchor);
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
    node.loc = Loc(mark, text_);
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
  std::string_view text_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, const YamlNode*> anchors_;
  int documents_ = 0;
};

}  // namespace

bool ParseYaml(std::string_view text, YamlDocument& document, std::string& error,
               SourceLoc& where) {
  std::istringstream in{std::string(text)};
  TreeBuilder builder(document, text);
  try {
    YAML::Parser parser(in);
    // Two documents at most: yaml-cpp 0.7 can produce empty documents
    // forever on some malformed input (found by the fuzzer).
    for (int i = 0; i < 2 && parser.HandleNextDocument(builder); ++i) {
    }
  } catch (const YAML::Exception& e) {
    error = e.msg;
    where = Loc(e.mark, text);
    return false;
  }
  if (!document.root) document.root = &document.nodes.emplace_back();  // empty text
  return true;
}

}  // namespace mlaunch::spec

#include "common/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <istream>
#include <map>
#include <optional>
#include <streambuf>
#include <string>

#include "common/utf8.h"

namespace mlaunch {
namespace {

// 1-based line and column; the column counts characters, not UTF-8 bytes
// (in ASCII text, the same). `ascii`: `text` holds no byte above 0x7F.
SourceLoc Loc(const YAML::Mark& mark, std::string_view text, bool ascii = false) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  int column = mark.column + 1;
  if (!ascii && mark.pos >= 0 && static_cast<size_t>(mark.pos) <= text.size() && mark.column > 0) {
    std::string_view before =
        text.substr(static_cast<size_t>(mark.pos - mark.column), static_cast<size_t>(mark.column));
    column = 1 + static_cast<int>(std::count_if(before.begin(), before.end(), [](char c) {
               return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
             }));
  }
  return {mark.line + 1, column};
}

// The first byte YAML does not allow in a stream: a C0 control other than
// tab, LF and CR, or DEL. yaml-cpp reads such bytes as something else (a NUL
// ends its input early), so they are refused before it sees them.
std::optional<size_t> FirstControlCharacter(std::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return i;
  }
  return std::nullopt;
}

// Thrown from the parser's events to stop a document nested too deeply
// (before yaml-cpp's own recursion gives up with a puzzling message).
struct TooDeep {
  YAML::Mark mark;
};

// 1-based line and character column of byte `offset` of `text`.
SourceLoc LocOfOffset(std::string_view text, size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const size_t line_start =
      before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
  const std::string_view line = before.substr(line_start);
  const int line_number = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  const int column = 1 + static_cast<int>(std::count_if(line.begin(), line.end(), [](char c) {
                       return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                     }));
  return {line_number, column};
}

// Hands the text to yaml-cpp without a copy: a read-only buffer over it.
// yaml-cpp only reads and puts back what it has just read.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());  // never written through
    setg(begin, begin, begin + text.size());
  }
};

// Builds the first document's nodes; of later documents it notes only where
// the second starts.
class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(YamlDocument& document, std::string_view text)
      : document_(document), text_(text), ascii_(std::all_of(text.begin(), text.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x80;
        })) {}

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
    node->plain = tag.size() == 1 && tag[0] == '?';
    node->text = value;
    Add(node, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (Ignoring()) return;
    Open(New(YamlNode::Kind::kSequence, mark), anchor, mark);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (Ignoring()) return;
    Open(New(YamlNode::Kind::kMap, mark), anchor, mark);
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
    node.loc = Loc(mark, text_, ascii_);
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

  void Open(YamlNode* node, YAML::anchor_t anchor, const YAML::Mark& mark) {
    if (stack_.size() >= kMaxYamlDepth) throw TooDeep{mark};
    Add(node, anchor);
    stack_.push_back({node});
  }

  void Close() {
    if (!Ignoring() && !stack_.empty()) stack_.pop_back();
  }

  YamlDocument& document_;
  std::string_view text_;
  bool ascii_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, const YamlNode*> anchors_;
  int documents_ = 0;
};

}  // namespace

bool ParseYaml(std::string_view text, YamlDocument& document, std::string& error,
               SourceLoc& where) {
  if (std::optional<size_t> bad = FirstControlCharacter(text)) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned char>(text[*bad]));
    error = std::string("control character ") + code + " (YAML allows only printable text)";
    where = LocOfOffset(text, *bad);
    return false;
  }
  if (std::optional<size_t> bad = FirstInvalidUtf8(text)) {
    char code[8];
    std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned char>(text[*bad]));
    error = std::string("byte ") + code +
            " is not UTF-8 (the text must be UTF-8; convert it, for example with iconv)";
    where = LocOfOffset(text, *bad);
    return false;
  }
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  TreeBuilder builder(document, text);
  try {
    YAML::Parser parser(in);
    // Two documents at most: yaml-cpp 0.7 can produce empty documents
    // forever on some malformed input (found by the fuzzer).
    for (int i = 0; i < 2 && parser.HandleNextDocument(builder); ++i) {
    }
  } catch (const TooDeep& e) {
    error = "nested deeper than " + std::to_string(kMaxYamlDepth) + " levels (the limit)";
    where = Loc(e.mark, text);
    return false;
  } catch (const YAML::Exception& e) {
    error = e.msg;
    where = Loc(e.mark, text);
    return false;
  }
  if (!document.root) document.root = &document.nodes.emplace_back();  // empty text
  return true;
}

}  // namespace mlaunch

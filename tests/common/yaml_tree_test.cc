#include "common/yaml_tree.h"

#include <gtest/gtest.h>

#include <string>

namespace mlaunch {
namespace {

const YamlNode* Value(const YamlNode* map, const std::string& key) {
  for (const auto& [k, v] : map->entries) {
    if (k->text == key) return v;
  }
  return nullptr;
}

TEST(ParseYaml, PositionsAreOneBasedLinesAndColumns) {
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  ASSERT_TRUE(ParseYaml("a: 1\nb:\n  c: [x, 'y']\n", doc, error, where)) << error;
  ASSERT_TRUE(doc.root->IsMap());
  const YamlNode* b = Value(doc.root, "b");
  ASSERT_NE(b, nullptr);
  const YamlNode* list = Value(b, "c");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[0]->loc.line, 3);
  EXPECT_EQ(list->items[0]->loc.column, 7);
  EXPECT_TRUE(list->items[0]->plain);
  EXPECT_EQ(list->items[1]->loc.column, 10);
  EXPECT_FALSE(list->items[1]->plain);
  EXPECT_EQ(list->items[1]->text, "y");
}

// Columns count characters: a two-byte UTF-8 letter before a value moves it
// one column, not two.
TEST(ParseYaml, ColumnsCountCharactersNotBytes) {
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  ASSERT_TRUE(ParseYaml("k: [\xc3\xa9t\xc3\xa9, v]\n", doc, error, where)) << error;
  const YamlNode* list = Value(doc.root, "k");
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[0]->loc.column, 5);
  EXPECT_EQ(list->items[1]->loc.column, 10);  // bytes would say 12
}

TEST(ParseYaml, NotesWhereASecondDocumentStarts) {
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  ASSERT_TRUE(ParseYaml("a: 1\n---\nb: 2\n", doc, error, where)) << error;
  ASSERT_TRUE(doc.second_start.has_value());
  EXPECT_EQ(doc.second_start->line, 2);  // the "---"
  EXPECT_EQ(Value(doc.root, "b"), nullptr);
}

TEST(ParseYaml, ControlCharactersAndSyntaxErrorsAreReportedWhereTheyAre) {
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  EXPECT_FALSE(ParseYaml(std::string("a: 1\nb: x\0y\n", 12), doc, error, where));
  EXPECT_EQ(error, "control character 0x00 (YAML allows only printable text)");
  EXPECT_EQ(where.line, 2);
  EXPECT_EQ(where.column, 5);

  YamlDocument doc2;
  EXPECT_FALSE(ParseYaml("a: [1, 2\n", doc2, error, where));
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(where.known());
}

TEST(ParseYaml, BytesThatAreNotUtf8AreErrorsWhereTheyAre) {
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  EXPECT_FALSE(ParseYaml("a: 1\nb: \xc3\xa9\xc0\xaf\n", doc, error, where));
  EXPECT_EQ(error,
            "byte 0xC0 is not UTF-8 (the text must be UTF-8; convert it, for example "
            "with iconv)");
  EXPECT_EQ(where.line, 2);
  EXPECT_EQ(where.column, 5);  // after "b: " and the one character \xc3\xa9
}

TEST(ParseYaml, NestingBeyondTheLimitIsAnErrorThatSaysSo) {
  const auto nested = [](std::size_t depth) {
    return "a: " + std::string(depth, '[') + std::string(depth, ']') + "\n";
  };
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  // The top mapping is one level: 63 lists inside it make 64.
  EXPECT_TRUE(ParseYaml(nested(kMaxYamlDepth - 1), doc, error, where)) << error;
  for (std::size_t depth : {kMaxYamlDepth, std::size_t{5000}}) {
    YamlDocument deep;
    EXPECT_FALSE(ParseYaml(nested(depth), deep, error, where));
    EXPECT_EQ(error, "nested deeper than 64 levels (the limit)");
    EXPECT_EQ(where.line, 1);
    EXPECT_EQ(where.column, 4 + static_cast<int>(kMaxYamlDepth) - 1);  // the 65th collection
  }
}

TEST(ParseYaml, EmptyTextIsANullRoot) {
  YamlDocument doc;
  std::string error;
  SourceLoc where;
  ASSERT_TRUE(ParseYaml("", doc, error, where));
  ASSERT_NE(doc.root, nullptr);
  EXPECT_TRUE(doc.root->IsNull());
}

}  // namespace
}  // namespace mlaunch

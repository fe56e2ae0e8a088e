// The JSON Schema and the key reference in docs/ are generated from the
// field table; the committed copies must equal what the code generates.
#include "launcher/spec/schema.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/regex.h"
#include "launcher/spec/docs.h"

namespace mlaunch::spec {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(std::string(ML_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Schema, CommittedSchemaIsTheGeneratedOne) {
  EXPECT_EQ(ReadAll("schema/mesos-launch.schema.json"), JsonSchema())
      << "run scripts/regenerate.sh";
}

TEST(Docs, SpecReferenceHoldsTheGeneratedTable) {
  std::string doc = ReadAll("docs/spec.md");
  const std::string begin = "<!-- BEGIN GENERATED: mesos-launch --spec-reference -->\n";
  const std::string end = "<!-- END GENERATED -->";
  size_t from = doc.find(begin);
  size_t to = doc.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  from += begin.size();
  EXPECT_EQ(doc.substr(from, to - from), ReferenceTables()) << "run scripts/regenerate.sh";
}

TEST(Docs, SpecManPageHoldsTheGeneratedKeys) {
  std::string page = ReadAll("man/mesos-launch-spec.5");
  const std::string begin = ".\\\" BEGIN GENERATED: mesos-launch --spec-reference=man\n";
  const std::string end = ".\\\" END GENERATED";
  size_t from = page.find(begin);
  size_t to = page.find(end);
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  from += begin.size();
  EXPECT_EQ(page.substr(from, to - from), ReferenceManSection()) << "run scripts/regenerate.sh";
}

TEST(Schema, EveryKeyHasADescription) {
  std::string schema = JsonSchema();
  EXPECT_EQ(schema.find("\"description\": \"\""), std::string::npos);
  EXPECT_NE(schema.find("\"additionalProperties\": false"), std::string::npos);
}

// The loader matches string values with the same patterns the schema gives
// editors (Reader::Matches), compiled by RE2: each must compile. (Durations
// and sizes, strings or numbers, are parsed by units.h; their patterns, with
// a lookahead, are for editors only.)
TEST(Schema, EveryPatternOfAStringCompiles) {
  int patterns = 0;
  std::function<void(const nlohmann::json&)> visit = [&](const nlohmann::json& node) {
    if (!node.is_structured()) return;
    if (node.is_object() && node.contains("pattern") && node["pattern"].is_string() &&
        (!node.contains("type") || node["type"] == "string")) {
      ++patterns;
      const std::string pattern = node["pattern"];
      EXPECT_TRUE(Regex::Compile(pattern).ok()) << pattern;
    }
    for (const auto& child : node) visit(child);
  };
  visit(nlohmann::json::parse(JsonSchema()));
  EXPECT_GE(patterns, 5);
}

}  // namespace
}  // namespace mlaunch::spec

// The JSON Schema and the key reference in docs/ are generated from the
// field table; the committed copies must equal what the code generates.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "launcher/spec/docs.h"
#include "launcher/spec/schema.h"

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
  EXPECT_EQ(doc.substr(from, to - from), ReferenceTables())
      << "run scripts/regenerate.sh";
}

TEST(Schema, EveryKeyHasADescription) {
  std::string schema = JsonSchema();
  EXPECT_EQ(schema.find("\"description\": \"\""), std::string::npos);
  EXPECT_NE(schema.find("\"additionalProperties\": false"), std::string::npos);
}

}  // namespace
}  // namespace mlaunch::spec

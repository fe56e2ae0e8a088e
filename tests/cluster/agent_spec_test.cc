// Agent flags and the credentials file, parsed like Mesos' flags.
#include "cluster/agent_spec.h"

#include <gtest/gtest.h>

#include "cluster/credentials_file.h"

namespace mlaunch::cluster {
namespace {

TEST(ParseResources, ReadsScalarsRangesSetsAndRoles) {
  auto parsed =
      ParseResources("cpus:2;mem(web):512;ports:[31000-31009,32000-32000];gpus_ids:{a,b}");
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ(parsed.value()[0].scalar().value(), 2);
  EXPECT_EQ(parsed.value()[1].role(), "web");
  EXPECT_EQ(parsed.value()[2].ranges().range_size(), 2);
  EXPECT_EQ(parsed.value()[3].set().item_size(), 2);
}

TEST(ParseResources, NamesTheBadItem) {
  EXPECT_EQ(ParseResources("cpus").message(), "resource 'cpus' has no ':value'");
  EXPECT_EQ(ParseResources("cpus:-1").message(), "resource 'cpus:-1' is negative");
  EXPECT_FALSE(ParseResources("ports:[9-1]").ok());
}

TEST(ParseAttributes, TextAndScalars) {
  auto parsed = ParseAttributes("rack:r1;weight:3");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed.value()[0].type(), mesos::v1::Value::TEXT);
  EXPECT_EQ(parsed.value()[1].type(), mesos::v1::Value::SCALAR);
}

TEST(ParseCredentials, ReadsJsonAndLines) {
  auto json = ParseCredentials(R"({"credentials":[{"principal":"a","secret":"s"}]})");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json.value()[0].principal, "a");
  auto lines = ParseCredentials("a s\n\nb t\n");
  ASSERT_TRUE(lines.ok());
  EXPECT_EQ(lines->size(), 2u);
  EXPECT_EQ(ParseCredentials("a s extra").message(),
            "credentials: line 1 must be 'principal secret'");
  EXPECT_FALSE(ParseCredentials("").ok());
}

}  // namespace
}  // namespace mlaunch::cluster

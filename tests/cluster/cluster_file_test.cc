// The cluster file: agents that differ, `count` expanded, and every problem
// at its FILE:LINE:COL.
#include "cluster/cluster_file.h"

#include <gtest/gtest.h>

namespace mlaunch::cluster {
namespace {

constexpr const char* kMachine = "cpus:8;mem:16000;ports:[31000-32000]";

double Scalar(const AgentShape& shape, const std::string& name) {
  for (const auto& r : shape.resources) {
    if (r.name() == name) return r.scalar().value();
  }
  return -1;
}

std::string Text(const AgentShape& shape, const std::string& name) {
  for (const auto& a : shape.attributes) {
    if (a.name() == name) return a.text().value();
  }
  return "";
}

TEST(ClusterFile, AgentsDifferAndCountExpands) {
  auto shapes = ParseClusterFile("c.yaml", R"(agents:
  - resources: "cpus:2;mem:2048;ports:[31000-31999]"
    attributes: "rack:r1;zone:a"
  - count: 2
    resources: "cpus:4;mem:8192"
    attributes: "rack:r2"
  - {}
)",
                                 kMachine, 250);
  ASSERT_TRUE(shapes.ok()) << shapes.message();
  ASSERT_EQ(shapes->size(), 4u);
  EXPECT_EQ(Scalar(shapes.value()[0], "cpus"), 2);
  EXPECT_EQ(Text(shapes.value()[0], "rack"), "r1");
  EXPECT_EQ(Text(shapes.value()[0], "zone"), "a");
  EXPECT_EQ(Scalar(shapes.value()[1], "mem"), 8192);
  EXPECT_EQ(Text(shapes.value()[2], "rack"), "r2");
  EXPECT_EQ(Scalar(shapes.value()[3], "cpus"), 8) << "the machine's size by default";
  EXPECT_TRUE(shapes.value()[3].attributes.empty());
}

struct Bad {
  const char* text;
  const char* message;  // the whole message
};

TEST(ClusterFile, EveryProblemIsPositionedAndSaysWhatToDo) {
  const Bad cases[] = {
      {"agents:\n  - resources: \"cpus:2\"\n    disk: 3\n",
       "c.yaml:3:5: unknown key `disk` (an agent has resources, attributes, count)"},
      {"agent:\n  - {}\n", "c.yaml:1:1: unknown key `agent` (the file has `agents:` only)"},
      {"agents: []\n", "c.yaml:1:9: `agents:` must be a list of one or more agents"},
      {"agents:\n  - count: 0\n", "c.yaml:2:12: `count` is a whole number from 1 to 250"},
      {"agents:\n  - count: two\n", "c.yaml:2:12: `count` is a whole number from 1 to 250"},
      {"agents:\n  - resources: [1, 2]\n",
       "c.yaml:2:16: `resources` is text such as \"cpus:2;mem:2048;ports:[31000-31999]\""},
      {"agents:\n  - just text\n",
       "c.yaml:2:5: an agent is a mapping of resources, attributes and count"},
      {"- a\n", "c.yaml:1:1: a cluster file is a mapping with an `agents:` list"},
      {"agents: [{}]\nagents: [{}]\n", "c.yaml:2:1: `agents:` is given twice"},
      {"agents:\n  - count: \"2\"\n", "c.yaml:2:12: `count` is a whole number from 1 to 250"},
      {"agents:\n  - resources: \"cpus:1\x01\"\n",
       "c.yaml:2:23: control character 0x01 (YAML allows only printable text)"},
      {"agents:\n  - count: 200\n  - count: 51\n", "c.yaml:3:5: more than 250 agents"},
  };
  for (const Bad& c : cases) {
    auto shapes = ParseClusterFile("c.yaml", c.text, kMachine, 250);
    ASSERT_FALSE(shapes.ok()) << c.text;
    EXPECT_EQ(shapes.message(), c.message) << c.text;
  }
}

TEST(ClusterFile, BadResourceTextNamesItsPlaceAndTheItem) {
  auto shapes =
      ParseClusterFile("c.yaml", "agents:\n  - resources: \"cpus:lots\"\n", kMachine, 250);
  ASSERT_FALSE(shapes.ok());
  EXPECT_EQ(shapes.message().rfind("c.yaml:2:16: ", 0), 0u) << shapes.message();
  EXPECT_NE(shapes.message().find("cpus"), std::string::npos) << shapes.message();
}

TEST(ClusterFile, YamlSyntaxErrorsArePositioned) {
  auto shapes =
      ParseClusterFile("c.yaml", "agents:\n  - resources: \"unterminated\n", kMachine, 250);
  ASSERT_FALSE(shapes.ok());
  EXPECT_EQ(shapes.message().rfind("c.yaml:", 0), 0u) << shapes.message();
}

}  // namespace
}  // namespace mlaunch::cluster

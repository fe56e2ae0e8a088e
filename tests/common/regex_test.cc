#include "common/regex.h"

#include <gtest/gtest.h>

#include <string>

namespace mlaunch {
namespace {

TEST(Regex, MatchesWholeOrPart) {
  Result<Regex> re = Regex::Compile("rack-[12]");
  ASSERT_TRUE(re.ok()) << re.message();
  EXPECT_TRUE(re->FullMatch("rack-1"));
  EXPECT_FALSE(re->FullMatch("rack-10"));
  EXPECT_TRUE(re->PartialMatch("my-rack-10"));
  EXPECT_FALSE(Regex::Compile("^rack$")->PartialMatch("a rack"));
}

TEST(Regex, BadPatternsSayWhy) {
  Result<Regex> open = Regex::Compile("rack-[12");
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.message().find("missing ]"), std::string::npos) << open.message();
  // Not RE2 syntax: no backreferences or lookaround.
  EXPECT_FALSE(Regex::Compile("(a)\\1").ok());
  EXPECT_FALSE(Regex::Compile("a(?=b)").ok());
  Result<Regex> huge = Regex::Compile(std::string(Regex::kMaxPatternBytes + 1, 'a'));
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.message(), "it is 4097 bytes; a regular expression may be at most 4096 bytes");
  EXPECT_TRUE(Regex::Compile(std::string(Regex::kMaxPatternBytes, 'a')).ok());
}

// Issue #17, item 7: the patterns that crashed std::regex (recursion as deep
// as the text) or took exponential time now take linear time.
TEST(Regex, HostilePatternsAndLongTextsNeitherRecurseNorBacktrack) {
  const std::string text(1'000'000, 'a');
  EXPECT_FALSE(Regex::Compile("(a+)+b")->FullMatch(text));
  EXPECT_TRUE(Regex::Compile("(a|aa)*")->FullMatch(text));
  EXPECT_TRUE(Regex::Compile("^[a-z]([a-z0-9-]*[a-z0-9])?$")->PartialMatch(text));
  std::string alternatives = "(";
  while (alternatives.size() < Regex::kMaxPatternBytes - 4) alternatives += "a|";
  alternatives += "b)+";
  EXPECT_TRUE(Regex::Compile(alternatives)->FullMatch(text));
}

}  // namespace
}  // namespace mlaunch

#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "common/json_text.h"

namespace mlaunch {
namespace {

TEST(Utf8, WellFormedTextHasNoInvalidByte) {
  for (const char* text : {"", "plain ascii", "caf\xc3\xa9", "\xe2\x82\xac 20", "\xf0\x9f\x9a\x80",
                           "\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_EQ(FirstInvalidUtf8(text), std::nullopt) << text;
  }
}

// Every way a sequence can be ill-formed, at the offset where it starts.
TEST(Utf8, IllFormedSequencesAreFoundWhereTheyStart) {
  const struct {
    std::string text;
    std::size_t at;
  } kCases[] = {
      {"ab\x80", 2},            // a continuation byte alone
      {"a\xc0\xaf", 1},         // C0: always overlong ("/")
      {"\xc1\xbf", 0},          // C1: always overlong
      {"\xe0\x80\xaf", 0},      // overlong three bytes
      {"\xf0\x80\x80\xaf", 0},  // overlong four bytes
      {"x\xed\xa0\x80", 1},     // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", 0},  // above U+10FFFF
      {"\xf5\x80\x80\x80", 0},  // F5..FF never start a sequence
      {"\xff", 0},
      {"ok\xc3", 2},  // truncated at the end
      {"\xe2\x82", 0},
      {"\xe2\x28\xa1", 0},  // a continuation that is not
      {"\xf0\x9f\x9a", 0},
      {"caf\xc3\xa9\xc3", 5},  // after a good sequence
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(FirstInvalidUtf8(c.text), c.at) << testing::PrintToString(c.text);
  }
}

TEST(JsonText, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  nlohmann::json value = {{"name", std::string("a\xc0\xafz")}, {"ok", "caf\xc3\xa9"}};
  const std::string text = JsonText(value);
  EXPECT_EQ(text, "{\"name\":\"a\xef\xbf\xbd\xef\xbf\xbdz\",\"ok\":\"caf\xc3\xa9\"}");
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded());
  EXPECT_EQ(JsonText({{"a", 1}}, 2), "{\n  \"a\": 1\n}");
}

}  // namespace
}  // namespace mlaunch

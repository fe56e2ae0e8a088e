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

// A piece keeps its length, so a reader adding it up reads every byte once.
TEST(Utf8Piece, BadBytesBecomeQuestionMarksOneForOne) {
  EXPECT_EQ(Utf8Piece("plain"), "plain");
  EXPECT_EQ(Utf8Piece("caf\xc3\xa9 \xf0\x9f\x9a\x80"), "caf\xc3\xa9 \xf0\x9f\x9a\x80");
  EXPECT_EQ(Utf8Piece("a\xc0\xafz"), "a??z");                           // overlong: two bad bytes
  EXPECT_EQ(Utf8Piece("\xff\xfe\x80x"), "???x");                        // never in UTF-8
  EXPECT_EQ(Utf8Piece("x\xed\xa0\x80y"), "x???y");                      // a surrogate
  EXPECT_EQ(Utf8Piece("\xe2\x28\xa1"), "?(?");                          // cut by a byte that is not
  EXPECT_EQ(Utf8Piece("\xc3\xa9\xc3(\xc3\xa9"), "\xc3\xa9?(\xc3\xa9");  // not at the end
  for (const std::string bytes : {"a\xc0\xafz", "\xff\xfe\x80x", "x\xed\xa0\x80y"}) {
    EXPECT_EQ(Utf8Piece(bytes).size(), bytes.size());
    EXPECT_EQ(FirstInvalidUtf8(Utf8Piece(bytes)), std::nullopt);
  }
}

TEST(Utf8Piece, ACharacterCutByTheEndIsLeftForTheNextPiece) {
  EXPECT_EQ(Utf8Piece("ok\xc3"), "ok");
  EXPECT_EQ(Utf8Piece("ok\xe2\x82"), "ok");
  EXPECT_EQ(Utf8Piece("\xf0\x9f\x9a"), "");
  EXPECT_EQ(Utf8Piece("x\xe0\xa0"), "x");  // E0 then A0..BF
  EXPECT_EQ(Utf8Piece("x\xed\x9f"), "x");  // ED then 80..9F
  EXPECT_EQ(Utf8Piece("x\xf4\x8f"), "x");  // F4 then 80..8F
  // Beginnings that nothing could complete are bad bytes, not cut ones.
  EXPECT_EQ(Utf8Piece("x\xe0\x80"), "x??");
  EXPECT_EQ(Utf8Piece("x\xf4\x90"), "x??");
  EXPECT_EQ(Utf8Piece("x\xc1"), "x?");
  EXPECT_EQ(Utf8Piece("x\xf5"), "x?");
  // Read piece by piece (pieces of at least 4 bytes, the longest
  // character), cut anywhere, a text comes out whole.
  const std::string text =
      "a\xc3\xa9"
      "b\xe2\x82\xac"
      "c\xf0\x9f\x9a\x80"
      "d\xff";
  for (std::size_t size = 4; size <= 8; ++size) {
    std::string read;
    for (std::size_t offset = 0; offset < text.size();) {
      const std::string piece = Utf8Piece(std::string_view(text).substr(offset, size));
      ASSERT_FALSE(piece.empty()) << size << " at " << offset;
      read += piece;
      offset += piece.size();
    }
    EXPECT_EQ(read, text.substr(0, text.size() - 1) + "?") << size;
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

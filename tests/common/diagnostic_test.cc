#include "common/diagnostic.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mlaunch {
namespace {

TEST(Render, ShowsPositionPathMessageHintAndCaret) {
  Diagnostic d{Severity::kError,       "specs/web.yaml",   {2, 9}, "tasks[web].resources.cpus",
               "must be > 0 (got -1)", "did you mean 'x'?"};
  EXPECT_EQ(Render(d, "version: 1\nresources: {cpus: -1}\n"),
            "specs/web.yaml:2:9: error: tasks[web].resources.cpus: must be > 0 (got -1); "
            "did you mean 'x'?\n"
            "  resources: {cpus: -1}\n"
            "          ^\n");
}

TEST(Render, WithoutPositionHasNoSourceLine) {
  Diagnostic d{Severity::kWarning, "a.yaml", {}, "", "cannot read the file", ""};
  EXPECT_EQ(Render(d, "x: 1\n"), "a.yaml: warning: cannot read the file\n");
}

TEST(Render, CaretKeepsTabs) {
  Diagnostic d{Severity::kError, "a.yaml", {1, 3}, "", "bad", ""};
  EXPECT_EQ(Render(d, "\tx y"), "a.yaml:1:3: error: bad\n  \tx y\n  \t ^\n");
}

// Issue #17, attack 9: a long line shows a window of kShownLineChars
// characters around the caret, "..." where it is cut, the caret still under
// its character (UTF-8 counted as characters).
TEST(Render, ALongLineIsCutAroundTheCaret) {
  std::string line;
  for (int i = 0; i < 1000; ++i) line += (i == 500 ? "X" : "é");
  Diagnostic d{Severity::kError, "a.yaml", {1, 501}, "", "bad", ""};
  const std::string out = Render(d, line);
  const std::string shown_line =
      out.substr(out.find('\n') + 1, out.find('\n', out.find('\n') + 1) - out.find('\n') - 1);
  EXPECT_EQ(shown_line.rfind("  ...", 0), 0u);
  EXPECT_EQ(shown_line.substr(shown_line.size() - 3), "...");
  // 60 characters before the caret's, 59 after it.
  std::string expected = "  ...";
  for (int i = 0; i < 60; ++i) expected += "é";
  expected += "X";
  for (int i = 0; i < 59; ++i) expected += "é";
  expected += "...";
  EXPECT_EQ(shown_line, expected);
  EXPECT_EQ(out.substr(out.rfind('\n', out.size() - 2) + 1),
            "  " + std::string(3 + 60, ' ') + "^\n");
  // Near the start, only the end is cut.
  Diagnostic early{Severity::kError, "a.yaml", {1, 2}, "", "bad", ""};
  const std::string start = Render(early, line);
  EXPECT_NE(start.find("\n  éé"), std::string::npos);
  EXPECT_NE(start.find("...\n   ^\n"), std::string::npos) << start;
}

TEST(RenderSome, ShowsAtMostTheLimitThenCountsTheRest) {
  std::vector<Diagnostic> many;
  for (int i = 0; i < 1000; ++i) {
    many.push_back({Severity::kError, "a.yaml", {1, i + 1}, "", "bad", ""});
  }
  const std::string out = RenderSome(many, std::string(1000, 'x'));
  EXPECT_EQ(static_cast<size_t>(std::count(out.begin(), out.end(), '^')), kShownDiagnostics);
  EXPECT_NE(out.find("(950 more not shown; the first ones may explain them)\n"), std::string::npos);
  EXPECT_LT(out.size(), 50u * 300u);
  EXPECT_EQ(RenderSome({many[0]}, "x"), Render(many[0], "x"));
}

TEST(Render, ControlCharactersAreShownAsTheirPictures) {
  constexpr char kMessage[] = "bad \x1b[31m and \0";
  constexpr char kSource[] = "name: a\0b\x7f\tc";
  Diagnostic d{
      Severity::kError, "s.yaml", {1, 8}, "name", std::string(kMessage, sizeof kMessage - 1), ""};
  EXPECT_EQ(Render(d, std::string(kSource, sizeof kSource - 1)),
            "s.yaml:1:8: error: name: bad \u241b[31m and \u2400\n"
            "  name: a\u2400b\u2421\tc\n"
            "         ^\n");
}

TEST(Render, LineBeyondTheEndShowsOnlyTheHeader) {
  Diagnostic d{Severity::kError, "a.yaml", {9, 1}, "", "bad", ""};
  EXPECT_EQ(Render(d, "x: 1\n"), "a.yaml:9:1: error: bad\n");
}

TEST(Summary, CountsAndPlurals) {
  EXPECT_EQ(Summary(0, 0), "");
  EXPECT_EQ(Summary(1, 0), "1 error");
  EXPECT_EQ(Summary(2, 1), "2 errors, 1 warning");
  EXPECT_EQ(Summary(0, 3), "3 warnings");
}

TEST(Diagnostics, DropsExactRepeatsAndSortsByPosition) {
  Diagnostics d("f.yaml");
  d.Error({5, 1}, "b", "second");
  d.Error({2, 4}, "a", "first");
  d.Error({5, 1}, "b", "second");
  d.Warning({}, "", "no place");
  d.Error({2, 1}, "a", "before first");
  EXPECT_EQ(d.error_count(), 3);
  EXPECT_EQ(d.warning_count(), 1);
  auto sorted = d.Sorted();
  ASSERT_EQ(sorted.size(), 4u);
  EXPECT_EQ(sorted[0].message, "before first");
  EXPECT_EQ(sorted[1].message, "first");
  EXPECT_EQ(sorted[2].message, "second");
  EXPECT_EQ(sorted[3].message, "no place");
}

TEST(ClosestMatch, FindsTyposButNotStrangers) {
  std::vector<std::string> keys = {"cpus", "mem", "disk", "gpus", "instances"};
  EXPECT_EQ(ClosestMatch("cpu", keys), "cpus");
  EXPECT_EQ(ClosestMatch("instnaces", keys), "instances");
  EXPECT_EQ(ClosestMatch("dsik", keys), "disk");
  EXPECT_EQ(ClosestMatch("network", keys), "");
  EXPECT_EQ(ClosestMatch("", keys), "");
}

}  // namespace
}  // namespace mlaunch

#include "launcher/spec/units.h"

#include <gtest/gtest.h>

namespace mlaunch::spec {
namespace {

TEST(ParseDuration, AcceptsUnitsCombinationsAndBareSeconds) {
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : std::initializer_list<Case>{{"10s", 10'000},
                                                   {"5m", 300'000},
                                                   {"1h30m", 5'400'000},
                                                   {"250ms", 250},
                                                   {"1.5h", 5'400'000},
                                                   {"2d", 172'800'000},
                                                   {"1w", 604'800'000},
                                                   {"1m30s", 90'000},
                                                   {"1s500ms", 1'500},
                                                   {"0s", 0},
                                                   {"30", 30'000},
                                                   {"0.5", 500},
                                                   {" 10s ", 10'000},
                                                   {"1h 30m", 5'400'000},
                                                   {"2 s", 2'000}}) {
    std::optional<Duration> d = ParseDuration(c.text);
    ASSERT_TRUE(d) << c.text;
    EXPECT_EQ(d->ms, c.ms) << c.text;
  }
}

TEST(ParseDuration, RejectsEverythingElse) {
  for (const char* text : {"", "s", "10 sec", "5x", "-1s", "1m1h", "1s1s", "1m30", "ms", "1..5s",
                           ".s", "10S", "1e3s", "99999999999999999d", "nan", "inf"}) {
    EXPECT_FALSE(ParseDuration(text)) << text;
  }
}

TEST(FormatDuration, IsTheShortestExactSpelling) {
  EXPECT_EQ(FormatDuration({0}), "0s");
  EXPECT_EQ(FormatDuration({5'400'000}), "1h30m");
  EXPECT_EQ(FormatDuration({1'500}), "1s500ms");
  EXPECT_EQ(FormatDuration({90'000'000}), "1d1h");
}

TEST(ParseMegabytes, NumbersAreMegabytesAndPrefixesAreBinary) {
  struct Case {
    const char* text;
    double mb;
  };
  for (const Case& c : std::initializer_list<Case>{{"128", 128},
                                                   {"0.5", 0.5},
                                                   {"512MiB", 512},
                                                   {"512MB", 512},
                                                   {"512M", 512},
                                                   {"1GiB", 1024},
                                                   {"1.5GiB", 1536},
                                                   {"1g", 1024},
                                                   {"2048KiB", 2},
                                                   {"1TiB", 1024 * 1024},
                                                   {"1048576B", 1},
                                                   {"64 MiB", 64},
                                                   {"1gb", 1024},
                                                   {"512mb", 512},
                                                   {"12Mb", 12}}) {
    std::optional<Megabytes> m = ParseMegabytes(c.text);
    ASSERT_TRUE(m) << c.text;
    EXPECT_DOUBLE_EQ(m->value, c.mb) << c.text;
  }
}

TEST(ParseMegabytes, RejectsEverythingElse) {
  for (const char* text : {"", "MiB", "512QB", "-1", "1GiBs", "1 2", "1iB", "1bb", "lots"}) {
    EXPECT_FALSE(ParseMegabytes(text)) << text;
  }
}

}  // namespace
}  // namespace mlaunch::spec

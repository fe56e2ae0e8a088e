#include "executor/services/http_range.h"

#include <gtest/gtest.h>

namespace mlaunch::executor {
namespace {

using Kind = ByteRange::Kind;

TEST(HttpRange, OneRangeOfBytesIsAPartAndTheRestIsTheWholeFile) {
  const struct {
    const char* header;
    std::uint64_t size;
    Kind kind;
    std::uint64_t first, last;
  } kCases[] = {
      {"", 10, Kind::kWhole, 0, 0},
      {"bytes=0-0", 10, Kind::kPart, 0, 0},
      {"bytes=2-4", 10, Kind::kPart, 2, 4},
      {" bytes=2-4 ", 10, Kind::kPart, 2, 4},
      {"bytes=2-", 10, Kind::kPart, 2, 9},
      {"bytes=2-100", 10, Kind::kPart, 2, 9},  // the last byte is clipped
      {"bytes=-3", 10, Kind::kPart, 7, 9},     // the last three
      {"bytes=-30", 10, Kind::kPart, 0, 9},    // more than there is: all
      {"bytes=10-", 10, Kind::kUnsatisfiable, 0, 0},
      {"bytes=10-20", 10, Kind::kUnsatisfiable, 0, 0},
      {"bytes=-0", 10, Kind::kUnsatisfiable, 0, 0},
      {"bytes=0-", 0, Kind::kUnsatisfiable, 0, 0},  // an empty file has no byte 0
      {"bytes=-5", 0, Kind::kUnsatisfiable, 0, 0},
      {"bytes=4-2", 10, Kind::kWhole, 0, 0},      // invalid: ignored
      {"bytes=1-2,4-5", 10, Kind::kWhole, 0, 0},  // several: the whole file
      {"items=1-2", 10, Kind::kWhole, 0, 0},
      {"bytes=a-b", 10, Kind::kWhole, 0, 0},
      {"bytes=+1-2", 10, Kind::kWhole, 0, 0},
      {"bytes=1", 10, Kind::kWhole, 0, 0},
      {"bytes=-", 10, Kind::kWhole, 0, 0},
      {"bytes=99999999999999999999-", 10, Kind::kWhole, 0, 0},  // overflow
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.header);
    const ByteRange range = RangeOf(c.header, c.size);
    EXPECT_EQ(range.kind, c.kind);
    if (c.kind == Kind::kPart) {
      EXPECT_EQ(range.first, c.first);
      EXPECT_EQ(range.last, c.last);
    }
  }
}

}  // namespace
}  // namespace mlaunch::executor

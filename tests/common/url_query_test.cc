// Query strings: decoded parameters, and escaping that round-trips.
#include "common/url_query.h"

#include <gtest/gtest.h>

namespace mlaunch {
namespace {

TEST(QueryParameters, DecodesEachParameter) {
  std::map<std::string, std::string> p =
      QueryParameters("/files/read?path=%2Fa%2Fb+c&offset=10&flag&path=second&=x#frag");
  EXPECT_EQ(p["path"], "/a/b c");  // the first of two wins; '+' is a space
  EXPECT_EQ(p["offset"], "10");
  EXPECT_EQ(p["flag"], "");
  EXPECT_EQ(p[""], "x");
  EXPECT_EQ(p.count("frag"), 0u);
  EXPECT_TRUE(QueryParameters("/files/read").empty());
  EXPECT_TRUE(QueryParameters("/x?").empty());
  EXPECT_EQ(QueryParameters("/x?a=%zz")["a"], "%zz");  // not an escape: kept as written
}

TEST(QueryEscaped, RoundTripsThroughQueryParameters) {
  const std::string text = "/frameworks/f 1/executors/e&x=y/runs/latest/stderr?%+";
  const std::string escaped = QueryEscaped(text);
  EXPECT_EQ(escaped.find_first_of("/ &=?+#"), std::string::npos) << escaped;
  EXPECT_EQ(QueryParameters("/r?path=" + escaped)["path"], text);
}

}  // namespace
}  // namespace mlaunch

// The CI rule of tests/fakes/ci.h: only an unset, empty, "0" or "false"
// CI variable lets a test of a real component skip.
#include "tests/fakes/ci.h"

#include <gtest/gtest.h>

namespace mlaunch::testing {
namespace {

TEST(CiRule, OnlyUnsetEmptyZeroOrFalseMeanNotCi) {
  EXPECT_FALSE(CiValueMeansCi(nullptr));
  EXPECT_FALSE(CiValueMeansCi(""));
  EXPECT_FALSE(CiValueMeansCi("0"));
  EXPECT_FALSE(CiValueMeansCi("false"));
  EXPECT_FALSE(CiValueMeansCi("FALSE"));
  EXPECT_FALSE(CiValueMeansCi("False"));
}

TEST(CiRule, AnyOtherValueMeansCi) {
  EXPECT_TRUE(CiValueMeansCi("true"));
  EXPECT_TRUE(CiValueMeansCi("1"));
  EXPECT_TRUE(CiValueMeansCi("yes"));
  EXPECT_TRUE(CiValueMeansCi("TRUE"));
  EXPECT_TRUE(CiValueMeansCi("00"));
  EXPECT_TRUE(CiValueMeansCi(" false"));
}

}  // namespace
}  // namespace mlaunch::testing

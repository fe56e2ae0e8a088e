// The contracts of common/status.h hold where assertions are on (the
// sanitizer build CI runs every test in): misuse stops the program at once
// instead of reading an empty value. scripts/sanitize.sh checks that these
// tests exist in that build, so assertions cannot be turned off unnoticed.
#include "common/status.h"

#include <gtest/gtest.h>

#include <string>

namespace mlaunch {
namespace {

TEST(StatusContract, ErrorsCarryTheirCodeAndMessage) {
  Result<int> failed(Status::InvalidData("bad bytes"));
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidData);
  EXPECT_EQ(failed.message(), "bad bytes");
  Result<int> fine(7);
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine.value(), 7);
}

#ifndef NDEBUG
TEST(StatusContractDeathTest, ValueOfAnErrorResultAborts) {
  Result<std::string> failed(Status::InvalidData("bad bytes"));
  EXPECT_DEATH((void)failed.value(), "ok\\(\\)");
}

TEST(StatusContractDeathTest, AnErrorWithCodeOkAborts) {
  EXPECT_DEATH((void)Status::Error(StatusCode::kOk, "not an error"), "kOk");
}

TEST(StatusContractDeathTest, AResultMadeFromAnOkStatusAborts) {
  EXPECT_DEATH((void)Result<int>(Status::Ok()), "status_.ok\\(\\)");
}
#endif

}  // namespace
}  // namespace mlaunch

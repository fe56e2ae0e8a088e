#include "cluster/executor_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

class ExecutorTokenTest : public ::testing::Test {
 protected:
  std::string Key() const { return (dir_ / "executor_secret_key").string(); }
  const mlaunch::testing::TempDir temp_{"executor_token_test"};
  const std::filesystem::path dir_ = temp_.path();
};

TEST_F(ExecutorTokenTest, ATokenCarriesItsClaimsAndOnlyItsKeyVerifiesIt) {
  auto tokens = ExecutorTokens::Open(Key());
  ASSERT_TRUE(tokens.ok()) << tokens.message();
  const ExecutorClaims claims{"fw-1", "web.0.abc", "c-1"};
  const std::string token = tokens->Issue(claims);
  EXPECT_EQ(tokens->Verify(token), claims);
  EXPECT_NE(tokens->Issue({"fw-1", "web.0.abc", "c-2"}), token);

  std::string tampered = token;
  tampered[2] = tampered[2] == 'A' ? 'B' : 'A';  // the claims, re-encoded
  EXPECT_EQ(tokens->Verify(tampered), std::nullopt);
  EXPECT_EQ(tokens->Verify(token.substr(0, token.size() - 1)), std::nullopt);
  EXPECT_EQ(tokens->Verify(""), std::nullopt);
  EXPECT_EQ(tokens->Verify("."), std::nullopt);
  EXPECT_EQ(tokens->Verify("no dot here"), std::nullopt);

  std::filesystem::create_directories(dir_ / "other");
  auto other = ExecutorTokens::Open((dir_ / "other/executor_secret_key").string());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Verify(token), std::nullopt);
}

TEST_F(ExecutorTokenTest, TheKeyIsPrivateAndKeptAcrossRestarts) {
  auto first = ExecutorTokens::Open(Key());
  ASSERT_TRUE(first.ok());
  struct stat info {};
  ASSERT_EQ(stat(Key().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(info.st_size, 32);
  auto again = ExecutorTokens::Open(Key());
  ASSERT_TRUE(again.ok());
  const ExecutorClaims claims{"f", "e", "c"};
  EXPECT_EQ(again->Verify(first->Issue(claims)), claims);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left
}

TEST_F(ExecutorTokenTest, AKeyFileOfTheWrongSizeIsAnErrorThatSaysWhatToDo) {
  std::ofstream(Key()) << "short";
  auto tokens = ExecutorTokens::Open(Key());
  ASSERT_FALSE(tokens.ok());
  EXPECT_NE(tokens.message().find("holds 5 bytes, not 32; remove it to make a new one"),
            std::string::npos)
      << tokens.message();
  auto missing_dir = ExecutorTokens::Open((dir_ / "no/such/dir/key").string());
  ASSERT_FALSE(missing_dir.ok());
  EXPECT_NE(missing_dir.message().find("cannot create the executor key"), std::string::npos)
      << missing_dir.message();
}

}  // namespace
}  // namespace mlaunch::cluster

// The tests' TempDir (tests/fakes/temp_dir.h): made empty, removed with its
// contents, kept on request, and a failure to make it is an exception that
// names the cause.
#include "tests/fakes/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace mlaunch::testing {
namespace {

TEST(TempDir, IsEmptyAndGoesWithEverythingInIt) {
  std::string path;
  {
    const TempDir dir("temp_dir_test");
    path = dir.path();
    EXPECT_TRUE(std::filesystem::path(path).is_absolute());
    EXPECT_TRUE(std::filesystem::is_empty(path));
    EXPECT_EQ(dir.Write("a/b/c.txt", "hello"), path + "/a/b/c.txt");
    EXPECT_EQ(std::filesystem::file_size(dir / "a/b/c.txt"), 5u);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDir, AKeptDirectoryStays) {
  std::string path;
  {
    TempDir dir("temp_dir_test");
    path = dir.path();
    dir.Keep();
  }
  EXPECT_TRUE(std::filesystem::exists(path));
  std::filesystem::remove_all(path);
}

TEST(TempDir, AFailureToMakeItThrowsWithTheCause) {
  try {
    const TempDir dir("no/such/directory/x");
    FAIL() << "made " << dir.path();
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot make a temporary directory"), std::string::npos) << what;
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace mlaunch::testing

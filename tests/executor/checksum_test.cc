// Artifact checksums against files in a temporary sandbox.
#include "executor/services/checksum.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mlaunch::executor {
namespace {

namespace fs = std::filesystem;

// sha256("hello\n"), as sha256sum prints it.
constexpr char kHelloDigest[] =
    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

class ChecksumTest : public ::testing::Test {
 protected:
  ChecksumTest() {
    std::string pattern = (fs::temp_directory_path() / "checksum_test.XXXXXX").native();
    sandbox_ = ::mkdtemp(pattern.data());
    std::ofstream(fs::path(sandbox_) / "app.tar.gz") << "hello\n";
  }
  ~ChecksumTest() override { fs::remove_all(sandbox_); }
  ServiceConfig With(const std::string& file, const std::string& digest) {
    ServiceConfig config;
    ServiceConfig::Checksum* c = config.add_checksums();
    c->set_uri("https://example.org/dist/app.tar.gz");
    c->set_file(file);
    c->set_sha256(digest);
    return config;
  }
  std::string sandbox_;
};

TEST_F(ChecksumTest, AcceptsAMatchingDigest) {
  EXPECT_TRUE(VerifyChecksums(With("app.tar.gz", kHelloDigest), sandbox_).ok());
  EXPECT_TRUE(VerifyChecksums(With("", kHelloDigest), sandbox_).ok());  // name from the URI
}

TEST_F(ChecksumTest, AMismatchNamesTheUriAndBothDigests) {
  std::string wrong(64, '0');
  Status status = VerifyChecksums(With("app.tar.gz", wrong), sandbox_);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message(), "sha256 mismatch for https://example.org/dist/app.tar.gz: expected " +
                                  wrong + ", got " + kHelloDigest);
}

TEST_F(ChecksumTest, AMissingArtifactFails) {
  Status status = VerifyChecksums(With("gone.tar.gz", kHelloDigest), sandbox_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("gone.tar.gz"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace mlaunch::executor

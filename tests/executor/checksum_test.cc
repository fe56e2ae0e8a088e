// Artifact checksums against files in a temporary sandbox.
#include "executor/services/checksum.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/sha256.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::executor {
namespace {

namespace fs = std::filesystem;

// sha256("hello\n"), as sha256sum prints it.
constexpr char kHelloDigest[] = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

class ChecksumTest : public ::testing::Test {
 protected:
  ChecksumTest() { temp_.Write("app.tar.gz", "hello\n"); }
  const mlaunch::testing::TempDir temp_{"checksum_test"};
  ServiceConfig With(const std::string& file, const std::string& digest) {
    ServiceConfig config;
    ServiceConfig::Checksum* c = config.add_checksums();
    c->set_uri("https://example.org/dist/app.tar.gz");
    c->set_file(file);
    c->set_sha256(digest);
    return config;
  }
  const std::string sandbox_ = temp_.path();
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

// A checksummed archive arrives whole (compile.cc asks the fetcher not to
// extract it): it is extracted only once every checksum of the task holds.
TEST_F(ChecksumTest, ArchivesAreExtractedOnlyAfterEveryChecksumHolds) {
  const fs::path content = fs::path(sandbox_) / "content";
  fs::create_directories(content / "css");
  std::ofstream(content / "index.html") << "<h1>hi</h1>\n";
  std::ofstream(content / "css" / "site.css") << "h1 {}\n";
  const std::string tar =
      "tar czf '" + sandbox_ + "/site.tar.gz' -C '" + content.string() + "' index.html css";
  ASSERT_EQ(std::system(tar.c_str()), 0);
  fs::remove_all(content);
  Result<std::string> digest = Sha256OfFile(sandbox_ + "/site.tar.gz");
  ASSERT_TRUE(digest.ok());

  ServiceConfig config;
  ServiceConfig::Checksum* site = config.add_checksums();
  site->set_uri("https://example.org/site.tar.gz");
  site->set_sha256(digest.value());
  site->set_extract(true);
  ServiceConfig::Checksum* other = config.add_checksums();
  other->set_uri("https://example.org/dist/app.tar.gz");
  other->set_sha256(std::string(64, '0'));  // app.tar.gz holds "hello\n"

  Status refused = VerifyChecksums(config, sandbox_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("sha256 mismatch for https://example.org/dist/app.tar.gz"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(fs::path(sandbox_) / "index.html")) << "extracted before the checks";

  other->set_sha256(kHelloDigest);
  Status accepted = VerifyChecksums(config, sandbox_);
  ASSERT_TRUE(accepted.ok()) << accepted.message();
  EXPECT_TRUE(fs::exists(fs::path(sandbox_) / "index.html"));
  EXPECT_TRUE(fs::exists(fs::path(sandbox_) / "css" / "site.css"));
}

TEST_F(ChecksumTest, AnArchiveThatCannotBeExtractedNamesItsUri) {
  ServiceConfig config = With("app.tar.gz", kHelloDigest);  // "hello\n" is no archive
  config.mutable_checksums(0)->set_extract(true);
  Status status = VerifyChecksums(config, sandbox_);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.message().rfind("cannot extract https://example.org/dist/app.tar.gz: ", 0), 0u)
      << status.message();
}

}  // namespace
}  // namespace mlaunch::executor

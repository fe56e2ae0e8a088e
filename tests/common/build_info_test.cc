#include "common/build_info.h"

#include <gtest/gtest.h>

namespace mlaunch {
namespace {

TEST(BuildInfo, TheFullVersionNamesTheCommitWhenItIsKnown) {
  EXPECT_EQ((BuildInfo{"0.1.0", "1a2b3c4d5e6f", "Release"}).Full(), "0.1.0+git1a2b3c4d5e6f");
  EXPECT_EQ((BuildInfo{"0.1.0", "1a2b3c4d5e6f+dirty", "Release"}).Full(),
            "0.1.0+git1a2b3c4d5e6f+dirty");
  EXPECT_EQ((BuildInfo{"0.1.0", "unknown", "Release"}).Full(), "0.1.0");
}

TEST(BuildInfo, VersionTextHasVersionCommitAndBuildType) {
  EXPECT_EQ((BuildInfo{"0.1.0", "1a2b3c4d5e6f", "RelWithDebInfo"}).VersionText("mesos-launch"),
            "mesos-launch 0.1.0+git1a2b3c4d5e6f (commit 1a2b3c4d5e6f, RelWithDebInfo build)\n");
  EXPECT_EQ((BuildInfo{"0.2.0", "unknown", "Debug"}).VersionText("mesos-launch-cluster"),
            "mesos-launch-cluster 0.2.0 (commit unknown, Debug build)\n");
}

// This build's own: the version of CMakeLists.txt and, in a git clone, a
// commit of 12 hex digits.
TEST(BuildInfo, ThisBuildIsStampedByTheBuild) {
  const BuildInfo& build = ThisBuild();
  EXPECT_FALSE(build.version.empty());
  EXPECT_FALSE(build.build_type.empty());
  const std::string_view commit = build.commit.substr(0, build.commit.find('+'));
  if (commit != "unknown") {
    EXPECT_EQ(commit.size(), 12u) << build.commit;
    EXPECT_EQ(commit.find_first_not_of("0123456789abcdef"), std::string_view::npos) << build.commit;
  }
}

}  // namespace
}  // namespace mlaunch

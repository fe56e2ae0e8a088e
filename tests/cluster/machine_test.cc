// The default size of an agent (docs/embedded-cluster.md): the pure rule,
// and the machine as read from /proc and statvfs.
#include "cluster/machine.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <string>
#include <thread>

namespace mlaunch::cluster {
namespace {

TEST(MachineResourcesTest, DefaultRuleIsMesos) {
  EXPECT_EQ(DefaultResources(8, 16384, 100000), "cpus:8;mem:15360;disk:94880;ports:[31000-32000]");
  // At the thresholds (2 GB, 10 GB) the fixed amount is taken off ...
  EXPECT_EQ(DefaultResources(2, 2048, 10240), "cpus:2;mem:1024;disk:5120;ports:[31000-32000]");
  // ... below them, half.
  EXPECT_EQ(DefaultResources(1, 2000, 10000), "cpus:1;mem:1000;disk:5000;ports:[31000-32000]");
  // Unknown: one CPU, 1 GB of memory, 10 GB of disk.
  EXPECT_EQ(DefaultResources(0, std::nullopt, std::nullopt),
            "cpus:1;mem:1024;disk:10240;ports:[31000-32000]");
}

// The disk is the size of the work directory's filesystem, not what is free
// on it (Mesos' fs::size).
TEST(MachineResourcesTest, DiskIsTheSizeOfTheWorkDirectorysFilesystem) {
  struct statvfs fs {};
  ASSERT_EQ(statvfs("/tmp", &fs), 0);
  const double size_mb =
      static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize) / 1048576.0;
  const std::string text = MachineResources("/tmp");
  const std::string expected_disk =
      "disk:" + std::to_string(static_cast<long>(size_mb >= 10240 ? size_mb - 5120 : size_mb / 2));
  EXPECT_NE(text.find(";" + expected_disk + ";"), std::string::npos) << text;
  EXPECT_EQ(
      text.rfind(
          "cpus:" + std::to_string(std::max(1U, std::thread::hardware_concurrency())) + ";mem:", 0),
      0u)
      << text;
  EXPECT_NE(text.find(";ports:[31000-32000]"), std::string::npos) << text;
}

}  // namespace
}  // namespace mlaunch::cluster

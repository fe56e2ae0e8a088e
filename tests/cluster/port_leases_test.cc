#include "cluster/port_leases.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

class PortLeasesTest : public ::testing::Test {
 protected:
  const mlaunch::testing::TempDir temp_{"port_leases_test"};
  const std::filesystem::path base_ = temp_.path();
  const std::string dir_ = (base_ / "leases").string();
};

TEST_F(PortLeasesTest, APortIsLeasedOnceUntilItsLeaseEnds) {
  std::optional<std::vector<PortLease>> first;
  {
    auto leased = LeasePorts(dir_, "127.0.0.2", {31000, 31001});
    ASSERT_TRUE(leased.ok()) << leased.message();
    first = std::move(leased).value();
  }
  struct stat info {};
  ASSERT_EQ(stat(dir_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 01777u);  // shared, as /tmp is

  auto again = LeasePorts(dir_, "127.0.0.2", {31002, 31001});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(again.message(),
            "port 31001 of 127.0.0.2 is taken by a task of another mesos-launch or "
            "mesos-launch-cluster on this machine");
  EXPECT_FALSE(LeasedElsewhere(dir_, "127.0.0.2", 31002));  // all or none
  EXPECT_TRUE(LeasedElsewhere(dir_, "127.0.0.2", 31001));
  EXPECT_FALSE(LeasedElsewhere(dir_, "127.0.0.3", 31001));  // another address
  EXPECT_TRUE(LeasePorts(dir_, "127.0.0.3", {31001}).ok());

  first.reset();
  EXPECT_FALSE(LeasedElsewhere(dir_, "127.0.0.2", 31001));
  EXPECT_TRUE(LeasePorts(dir_, "127.0.0.2", {31001}).ok());
}

// Issue #17, item 11: three mesos-launch started together with static port
// 31000 all gave it to a task. The lease holds between processes and ends
// with the holder, however it ends.
TEST_F(PortLeasesTest, ALeaseHoldsAgainstOtherProcessesUntilTheHolderEnds) {
  int ready[2], finish[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(finish), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto leased = LeasePorts(dir_, "127.0.0.2", {31000});
    const char ok = leased.ok() ? 'y' : 'n';
    (void)!write(ready[1], &ok, 1);
    char go;
    (void)!read(finish[0], &go, 1);
    _exit(0);  // the lease ends with the process
  }
  char ok = 0;
  ASSERT_EQ(read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  EXPECT_FALSE(LeasePorts(dir_, "127.0.0.2", {31000}).ok());
  EXPECT_TRUE(LeasedElsewhere(dir_, "127.0.0.2", 31000));
  ASSERT_EQ(write(finish[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(LeasePorts(dir_, "127.0.0.2", {31000}).ok());
  for (int fd : {ready[0], ready[1], finish[0], finish[1]}) close(fd);
}

TEST(PortsOf, TheRangesOfPortsResources) {
  google::protobuf::RepeatedPtrField<mesos::v1::Resource> resources;
  mesos::v1::Resource* ports = resources.Add();
  ports->set_name("ports");
  ports->set_type(mesos::v1::Value::RANGES);
  auto* a = ports->mutable_ranges()->add_range();
  a->set_begin(31000);
  a->set_end(31000);
  auto* b = ports->mutable_ranges()->add_range();
  b->set_begin(31005);
  b->set_end(31007);
  auto* wide = ports->mutable_ranges()->add_range();  // an agent's, not a task's
  wide->set_begin(1);
  wide->set_end(65535);
  mesos::v1::Resource* cpus = resources.Add();
  cpus->set_name("cpus");
  EXPECT_EQ(PortsOf(resources), (std::vector<std::uint32_t>{31000, 31005, 31006, 31007}));
}

}  // namespace
}  // namespace mlaunch::cluster

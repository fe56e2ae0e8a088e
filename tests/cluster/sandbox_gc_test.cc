#include "cluster/sandbox_gc.h"

#include <gtest/gtest.h>

namespace mlaunch::cluster {
namespace {

using std::chrono::minutes;
using Strings = std::vector<std::string>;

SandboxGc::Options Policy(std::size_t keep_latest) {
  SandboxGc::Options options;
  options.delay = minutes(60);
  options.max_disk_use = 0.9;
  options.keep_latest = keep_latest;
  options.disk_check_interval = minutes(1);
  return options;
}

const SandboxGc::Clock::time_point kT0{};

TEST(SandboxGc, ASandboxGoesItsDelayAfterItsExecutorEnded) {
  SandboxGc gc(Policy(0));
  EXPECT_EQ(gc.NextDue(), std::nullopt);
  gc.Ended("a", kT0);
  gc.Ended("b", kT0 + minutes(10));
  EXPECT_EQ(gc.NextDue(), kT0 + minutes(1));  // the first look at the disk
  EXPECT_EQ(gc.Due(kT0 + minutes(59), 0.5), Strings{});
  EXPECT_EQ(gc.NextDue(), kT0 + minutes(60));
  EXPECT_EQ(gc.Due(kT0 + minutes(60), 0.5), Strings{"a"});
  EXPECT_EQ(gc.Due(kT0 + minutes(69), 0.5), Strings{});
  EXPECT_EQ(gc.Due(kT0 + minutes(70), 0.5), Strings{"b"});
  EXPECT_EQ(gc.NextDue(), std::nullopt);
}

TEST(SandboxGc, AFullDiskTakesEveryOneThatMayGoAtOnceOldestFirst) {
  SandboxGc gc(Policy(0));
  gc.Ended("b", kT0 + minutes(2));
  gc.Ended("a", kT0 + minutes(1));  // told late: still the oldest
  gc.Ended("c", kT0 + minutes(3));
  EXPECT_EQ(gc.Due(kT0 + minutes(4), 0.95), (Strings{"a", "b", "c"}));
  EXPECT_EQ(gc.size(), 0u);
}

TEST(SandboxGc, TheLatestOnesStayForDebuggingWhateverHappens) {
  SandboxGc gc(Policy(2));
  gc.Ended("a", kT0);
  gc.Ended("b", kT0 + minutes(1));
  EXPECT_EQ(gc.NextDue(), std::nullopt);  // nothing may go
  EXPECT_EQ(gc.Due(kT0 + minutes(600), 1.0), Strings{});
  gc.Ended("c", kT0 + minutes(2));
  EXPECT_EQ(gc.Due(kT0 + minutes(600), 1.0), Strings{"a"});
  EXPECT_EQ(gc.size(), 2u);
}

}  // namespace
}  // namespace mlaunch::cluster

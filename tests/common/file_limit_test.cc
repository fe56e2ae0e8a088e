// The open-file limit: raised to the hard one at start, the original given
// back to what the process starts.
#include "common/file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

namespace mlaunch {
namespace {

// Sets the soft limit for one test and puts the previous one back.
class SoftFileLimit {
 public:
  explicit SoftFileLimit(rlim_t soft) {
    ok_ = ::getrlimit(RLIMIT_NOFILE, &before_) == 0 &&
          (before_.rlim_max == RLIM_INFINITY || before_.rlim_max >= soft);
    if (!ok_) return;
    rlimit lowered = before_;
    lowered.rlim_cur = soft;
    ok_ = ::setrlimit(RLIMIT_NOFILE, &lowered) == 0;
  }
  ~SoftFileLimit() {
    if (ok_) ::setrlimit(RLIMIT_NOFILE, &before_);
  }
  bool ok() const { return ok_; }
  rlim_t hard() const { return before_.rlim_max; }

 private:
  rlimit before_{};
  bool ok_ = false;
};

TEST(FileLimit, RaisesTheSoftLimitToTheHardOneAndGivesTheOldOneBackToChildren) {
  SoftFileLimit low(256);
  ASSERT_TRUE(low.ok()) << "cannot set the soft open-file limit to 256";
  ASSERT_EQ(OpenFileLimit(), 256u);
  const std::uint64_t raised = RaiseOpenFileLimit();
  const std::uint64_t expected =
      low.hard() == RLIM_INFINITY ? std::uint64_t{1} << 20 : static_cast<std::uint64_t>(low.hard());
  EXPECT_EQ(raised, expected);
  EXPECT_EQ(OpenFileLimit(), expected);

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RestoreOpenFileLimitInChild();
    _exit(OpenFileLimit() == 256 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "the child did not get the limit the process started with";
}

}  // namespace
}  // namespace mlaunch

#include "common/file_limit.h"

#include <sys/resource.h>

namespace mlaunch {

namespace {

// Written once by RaiseOpenFileLimit() before any thread starts; read only
// after.
rlimit g_started_with{};
bool g_raised = false;

}  // namespace

std::uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  const rlim_t target = limit.rlim_max == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_max;
  if (limit.rlim_cur < target) {
    rlimit raised = limit;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      g_started_with = limit;
      g_raised = true;
      limit = raised;
    }
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

std::uint64_t OpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

void RestoreOpenFileLimitInChild() {
  if (g_raised) ::setrlimit(RLIMIT_NOFILE, &g_started_with);
}

}  // namespace mlaunch

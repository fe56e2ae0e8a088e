// Whether the tests run in CI, where a real component that cannot run (no
// ZooKeeper, no node) is a failure instead of a skip. CI is on when the
// CI environment variable holds anything but "", "0" or "false" (any case),
// so CI=1 or CI=yes cannot turn a failure into a skip.
// tests/third_party/run_test.sh reads the variable the same way.
#ifndef MLAUNCH_TESTS_FAKES_CI_H_
#define MLAUNCH_TESTS_FAKES_CI_H_

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

namespace mlaunch::testing {

// The rule on one value of the variable (nullptr: unset).
inline bool CiValueMeansCi(const char* value) {
  if (value == nullptr) return false;
  std::string v(value);
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !v.empty() && v != "0" && v != "false";
}

inline bool InCi() { return CiValueMeansCi(std::getenv("CI")); }

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_FAKES_CI_H_

// FakeWorld: a World (launcher/inputs.h) of in-memory files and environment
// variables, for tests. Missing files fail with "No such file or directory".
// Its executor beside the program is kFakeExecutor, with kFakeExecutorBytes
// unless `files` says otherwise.
#ifndef MLAUNCH_TESTS_FAKES_FAKE_WORLD_H_
#define MLAUNCH_TESTS_FAKES_FAKE_WORLD_H_

#include <map>
#include <optional>
#include <string>

#include "launcher/inputs.h"

namespace mlaunch {

inline constexpr const char* kFakeExecutor = "/opt/mesos-launch/bin/mesos-launch-executor";
inline constexpr const char* kFakeExecutorBytes = "an executor of 1 MiB and a byte";

inline World FakeWorld(std::map<std::string, std::string> files,
                       std::map<std::string, std::string> env = {}) {
  World w;
  files.emplace(kFakeExecutor, kFakeExecutorBytes);
  w.executor = kFakeExecutor;
  w.read_file = [files](const std::string& path, std::string& out) {
    auto it = files.find(path);
    if (it == files.end()) {
      out = "No such file or directory";
      return false;
    }
    out = it->second;
    return true;
  };
  w.read_regular_file = w.read_file;
  w.getenv = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return w;
}

}  // namespace mlaunch

#endif  // MLAUNCH_TESTS_FAKES_FAKE_WORLD_H_

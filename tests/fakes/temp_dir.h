// TempDir: a new, empty directory for one test, under the system's
// temporary directory ($TMPDIR, else /tmp) and named after `prefix`;
// removed, with everything in it, when the TempDir goes. A test cannot run
// without its directory, so failing to make one throws (gtest reports the
// exception as the test's failure, with the cause).
#ifndef MLAUNCH_TESTS_FAKES_TEMP_DIR_H_
#define MLAUNCH_TESTS_FAKES_TEMP_DIR_H_

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mlaunch::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "mesos-launch-test") {
    std::error_code error;
    std::filesystem::path base = std::filesystem::temp_directory_path(error);
    if (error) base = "/tmp";
    std::string pattern = (base / (std::string(prefix) + ".XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot make a temporary directory " + pattern + ": " +
                               std::strerror(errno));
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!kept_) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The directory, absolute.
  const std::string& path() const { return path_; }
  // Leaves the directory in place, for a person to look into (what a
  // failed test left).
  void Keep() { kept_ = true; }
  // `name` under the directory.
  std::filesystem::path operator/(const std::string& name) const {
    return std::filesystem::path(path_) / name;
  }
  // Writes `text` to `name` under the directory, making its parents;
  // returns the file's path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::filesystem::path file = *this / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }

 private:
  std::string path_;
  bool kept_ = false;
};

}  // namespace mlaunch::testing

#endif  // MLAUNCH_TESTS_FAKES_TEMP_DIR_H_

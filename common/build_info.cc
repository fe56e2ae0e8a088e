#include "common/build_info.h"

namespace mlaunch {

std::string BuildInfo::Full() const {
  std::string full(version);
  if (commit != "unknown") full += "+git" + std::string(commit);
  return full;
}

std::string BuildInfo::VersionText(std::string_view program) const {
  return std::string(program) + " " + Full() + " (commit " + std::string(commit) + ", " +
         std::string(build_type) + " build)\n";
}

}  // namespace mlaunch

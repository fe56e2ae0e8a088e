// What this build is: the version in CMakeLists.txt, the git commit of the
// tree it was built from and the build type, fixed when the program is
// built (cmake/WriteBuildInfo.cmake writes the definition). Every program
// prints it for --version; the .deb packages carry Full() as their version.
#pragma once

#include <string>
#include <string_view>

namespace mlaunch {

struct BuildInfo {
  std::string_view version;     // "0.1.0"
  std::string_view commit;      // "1a2b3c4d5e6f", "1a2b3c4d5e6f+dirty" or "unknown"
  std::string_view build_type;  // CMAKE_BUILD_TYPE: "RelWithDebInfo", "Release", ...

  // "0.1.0+git1a2b3c4d5e6f" (a Debian version), or just "0.1.0" when the
  // commit is unknown.
  std::string Full() const;
  // What --version prints: "<program> 0.1.0+git1a2b3c4d5e6f (commit
  // 1a2b3c4d5e6f, RelWithDebInfo build)\n".
  std::string VersionText(std::string_view program) const;
};

const BuildInfo& ThisBuild();

}  // namespace mlaunch

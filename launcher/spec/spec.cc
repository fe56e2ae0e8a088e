#include "launcher/spec/spec.h"

#include <algorithm>

namespace mlaunch::spec {

SourceLoc SourceMap::Find(std::string path) const {
  while (!path.empty()) {
    if (auto it = locs_.find(path); it != locs_.end()) return it->second;
    size_t cut = path.find_last_of(".[");
    if (cut == std::string::npos) break;
    path.resize(cut);
  }
  return {};
}

std::string ItemLabel(const std::vector<std::string>& names, size_t index) {
  const std::string& name = names[index];
  if (name.empty() || std::find(names.begin(), names.begin() + static_cast<long>(index), name) !=
                          names.begin() + static_cast<long>(index)) {
    return std::to_string(index);
  }
  return name;
}

}  // namespace mlaunch::spec

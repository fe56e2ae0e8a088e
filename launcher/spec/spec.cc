#include "launcher/spec/spec.h"

#include <set>

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

std::vector<std::string> ItemLabels(const std::vector<std::string>& names) {
  std::vector<std::string> labels;
  std::set<std::string> used;
  for (size_t i = 0; i < names.size(); ++i) {
    bool unique = !names[i].empty() && used.insert(names[i]).second;
    labels.push_back(unique ? names[i] : std::to_string(i));
  }
  return labels;
}

}  // namespace mlaunch::spec

#include "cluster/sandbox_gc.h"

#include <algorithm>

namespace mlaunch::cluster {

void SandboxGc::Ended(std::string path, Clock::time_point at) {
  // Kept in the order of their end even if told out of order.
  auto later = std::upper_bound(ended_.begin(), ended_.end(), at,
                                [](Clock::time_point t, const Sandbox& e) { return t < e.at; });
  ended_.insert(later, {std::move(path), at});
}

std::size_t SandboxGc::Removable() const {
  return ended_.size() > options_.keep_latest ? ended_.size() - options_.keep_latest : 0;
}

std::optional<SandboxGc::Clock::time_point> SandboxGc::NextDue() const {
  if (Removable() == 0) return std::nullopt;
  return std::min(ended_.front().at + options_.delay,
                  last_disk_check_ + options_.disk_check_interval);
}

std::vector<std::string> SandboxGc::Due(Clock::time_point now, double disk_use) {
  last_disk_check_ = now;
  const bool full = disk_use > options_.max_disk_use;
  std::vector<std::string> due;
  for (std::size_t n = Removable(); n > 0; --n) {
    if (!full && ended_.front().at + options_.delay > now) break;
    due.push_back(std::move(ended_.front().path));
    ended_.pop_front();
  }
  return due;
}

}  // namespace mlaunch::cluster

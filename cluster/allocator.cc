#include "cluster/allocator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace mlaunch::cluster {

std::optional<UnixMillis> RefusalDuration(std::optional<double> refuse_seconds,
                                          UnixMillis allocation_interval) {
  constexpr double kDefaultSeconds = 5.0;
  constexpr double kMaxSeconds = 365.0 * 24 * 60 * 60;
  double seconds = refuse_seconds.value_or(kDefaultSeconds);
  if (std::isnan(seconds) || seconds < 0) seconds = kDefaultSeconds;
  if (seconds == 0) return std::nullopt;
  seconds = std::min(seconds, kMaxSeconds);
  const auto millis = static_cast<UnixMillis>(std::llround(seconds * 1000.0));
  return std::max(millis, allocation_interval);
}

void RefusalFilters::Add(const std::string& framework_id, const std::string& role,
                         const std::string& agent_id, Resources refused, UnixMillis until) {
  by_agent_[agent_id].push_back({framework_id, role, refused.Unallocated(), until});
  earliest_until_ = std::min(earliest_until_, until);
}

bool RefusalFilters::Filtered(const std::string& framework_id, const std::string& role,
                              const std::string& agent_id, const Resources& offerable,
                              UnixMillis now) const {
  auto agent = by_agent_.find(agent_id);
  if (agent == by_agent_.end()) return false;
  const Resources plain = offerable.Unallocated();
  return std::any_of(agent->second.begin(), agent->second.end(), [&](const Filter& f) {
    return f.framework_id == framework_id && f.role == role && now < f.until &&
           f.refused.Contains(plain);
  });
}

void RefusalFilters::EraseIf(const std::function<bool(const Filter&)>& matches) {
  for (auto agent = by_agent_.begin(); agent != by_agent_.end();) {
    std::erase_if(agent->second, matches);
    agent = agent->second.empty() ? by_agent_.erase(agent) : std::next(agent);
  }
}

void RefusalFilters::ClearRole(const std::string& framework_id, const std::string& role) {
  EraseIf([&](const Filter& f) { return f.framework_id == framework_id && f.role == role; });
}

void RefusalFilters::ClearFramework(const std::string& framework_id) {
  EraseIf([&](const Filter& f) { return f.framework_id == framework_id; });
}

void RefusalFilters::Expire(UnixMillis now) {
  if (now < earliest_until_) return;  // called on every tick: usually nothing is due
  EraseIf([&](const Filter& f) { return now >= f.until; });
  earliest_until_ = std::numeric_limits<UnixMillis>::max();
  for (const auto& [agent, filters] : by_agent_) {
    for (const Filter& f : filters) earliest_until_ = std::min(earliest_until_, f.until);
  }
}

std::size_t RefusalFilters::size() const {
  std::size_t n = 0;
  for (const auto& [agent, filters] : by_agent_) n += filters.size();
  return n;
}

bool Allocatable(const Resources& resources) {
  return resources.Scalar("cpus").value_or(0) >= 0.01 || resources.Scalar("mem").value_or(0) >= 32;
}

std::vector<Allocation> Allocate(std::vector<AllocationAgent> agents,
                                 std::vector<AllocationFramework> frameworks,
                                 const RefusalFilters& filters, UnixMillis now) {
  std::vector<Allocation> allocations;
  for (const AllocationAgent& agent : agents) {
    if (!Allocatable(agent.free)) continue;
    std::stable_sort(frameworks.begin(), frameworks.end(),
                     [](const AllocationFramework& a, const AllocationFramework& b) {
                       return a.allocated_cpus < b.allocated_cpus;
                     });
    bool given = false;
    for (AllocationFramework& framework : frameworks) {
      for (const std::string& role : framework.roles) {
        if (filters.Filtered(framework.framework_id, role, agent.agent_id, agent.free, now)) {
          continue;
        }
        allocations.push_back({framework.framework_id, agent.agent_id, role, agent.free});
        framework.allocated_cpus += agent.free.Scalar("cpus").value_or(0);
        given = true;
        break;
      }
      if (given) break;
    }
  }
  return allocations;
}

}  // namespace mlaunch::cluster

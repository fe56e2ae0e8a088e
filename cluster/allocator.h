// The allocator's pure parts (docs/embedded-cluster.md, "Allocation is simple"):
// refusal filters and the choice of which framework role gets which agent's
// free resources in one allocation cycle.
//
// RefusalFilters remembers "framework F, role R does not want these
// resources of agent A until T". A filter hides an agent's free resources
// only while they are all inside the refused ones: once more is free (a task
// ended), the agent is offered again, as in Mesos' hierarchical allocator.
// Allocate() gives each agent's free resources, whole, to one unsuppressed,
// unfiltered framework role, least-allocated framework first.
//
// Pure code: no I/O, no clock (time is passed in). Not synchronised.
#ifndef MLAUNCH_CLUSTER_ALLOCATOR_H_
#define MLAUNCH_CLUSTER_ALLOCATOR_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/resources.h"
#include "common/millis.h"

namespace mlaunch::cluster {

// How long a refusal lasts, from Filters.refuse_seconds (default 5 s when
// unset, negative or not a number; capped at 365 days; at least one
// allocation interval). nullopt: refuse_seconds is 0, so no filter at all.
std::optional<UnixMillis> RefusalDuration(std::optional<double> refuse_seconds,
                                          UnixMillis allocation_interval);

class RefusalFilters {
 public:
  void Add(const std::string& framework_id, const std::string& role, const std::string& agent_id,
           Resources refused, UnixMillis until);
  // True when `offerable` of that agent is hidden from that framework role.
  bool Filtered(const std::string& framework_id, const std::string& role,
                const std::string& agent_id, const Resources& offerable, UnixMillis now) const;
  void ClearRole(const std::string& framework_id, const std::string& role);
  void ClearFramework(const std::string& framework_id);
  void Expire(UnixMillis now);
  std::size_t size() const;

 private:
  struct Filter {
    std::string framework_id;
    std::string role;
    Resources refused;  // without allocation_info
    UnixMillis until;
  };
  void EraseIf(const std::function<bool(const Filter&)>& matches);
  // By agent, so that an allocation over many agents looks only at each
  // agent's own filters.
  std::unordered_map<std::string, std::vector<Filter>> by_agent_;
  // No filter ends before this (a lower bound: cleared filters may have
  // held it), so that Expire() has nothing to look at until then.
  UnixMillis earliest_until_ = std::numeric_limits<UnixMillis>::max();
};

struct AllocationAgent {
  std::string agent_id;
  Resources free;  // unallocated, not in offers, not used by tasks
};

struct AllocationFramework {
  std::string framework_id;
  std::vector<std::string> roles;  // the roles that may get offers now
  double allocated_cpus = 0;       // offered + used, for fairness
};

struct Allocation {
  std::string framework_id;
  std::string agent_id;
  std::string role;
  Resources resources;  // without allocation_info
};

// Mesos' default --min_allocatable_resources: cpus:0.01 | mem:32.
bool Allocatable(const Resources& resources);

std::vector<Allocation> Allocate(std::vector<AllocationAgent> agents,
                                 std::vector<AllocationFramework> frameworks,
                                 const RefusalFilters& filters, UnixMillis now);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_ALLOCATOR_H_

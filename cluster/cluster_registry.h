// The cluster's registry: who its agents are, kept in the work dir as a
// real master keeps its registry, so that a cluster started again with the
// same --work-dir brings back the same agents -- the same ids, loopback
// addresses and ports -- and the executors that outlived the previous run
// (their MESOS_AGENT_ENDPOINT included) find their agent where it was.
//
// The file is <work_dir>/registry.json:
//   {"agents": [{"id": "...", "address": "127.0.0.2", "port": 41234}, ...]}
// written atomically (common/atomic_file.h). An agent the operator marked
// gone stays listed with "gone": true, as Mesos' registry remembers gone
// agents: it is never started again, and its address is not given to
// another agent.
//
// Parsing and printing are pure; Load/Save do the file I/O. Errors are
// values naming the file and the cause.
#ifndef MLAUNCH_CLUSTER_CLUSTER_REGISTRY_H_
#define MLAUNCH_CLUSTER_CLUSTER_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace mlaunch::cluster {

struct RegisteredAgent {
  std::string id;       // as the first master assigned it
  std::string address;  // loopback IP
  std::uint16_t port = 0;
  bool gone = false;  // marked gone by the operator: never started again

  friend bool operator==(const RegisteredAgent&, const RegisteredAgent&) = default;
};

struct ClusterRegistry {
  std::vector<RegisteredAgent> agents;

  // Marks the agent gone; false when it is not listed.
  bool MarkGone(const std::string& agent_id);
};

std::string RegistryPath(const std::string& work_dir);

std::string RegistryText(const ClusterRegistry& registry);
// Fails on malformed JSON, a missing or empty id or address, a port outside
// 1-65535, or a "gone" that is not a boolean.
Result<ClusterRegistry> ParseRegistry(std::string_view text);

// nullopt when the file does not exist (a first start).
Result<std::optional<ClusterRegistry>> LoadRegistry(const std::string& path);
Status SaveRegistry(const std::string& path, const ClusterRegistry& registry);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_CLUSTER_REGISTRY_H_

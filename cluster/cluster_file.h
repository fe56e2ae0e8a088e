// The cluster file of mesos-launch-cluster (--cluster-file): agents that
// differ from one another, which --agents/--agent-resources/--agent-attributes
// (every agent alike) cannot say. In YAML:
//
//   agents:                     # in order: 127.0.0.2, 127.0.0.3, ...
//     - resources: "cpus:2;mem:2048;disk:10000;ports:[31000-31999]"
//       attributes: "rack:r1;zone:a"
//     - count: 2                # two agents alike (default 1)
//       resources: "cpus:4;mem:8192;ports:[32000-32999]"
//       attributes: "rack:r2"
//
// `resources` and `attributes` are written as the agent flags are
// (cluster/agent_spec.h); `resources` defaults to the machine's size, given
// by the caller, and `attributes` to none. Every problem is reported as
// FILE:LINE:COL: what is wrong; unknown keys included. Pure: no I/O.
#ifndef MLAUNCH_CLUSTER_CLUSTER_FILE_H_
#define MLAUNCH_CLUSTER_CLUSTER_FILE_H_

#include <string>
#include <vector>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

// What one agent offers and is described by.
struct AgentShape {
  std::vector<mesos::v1::Resource> resources;
  std::vector<mesos::v1::Attribute> attributes;
};

// The agents of the file `path` whose text is `text`, `count` expanded, in
// order. At most `max_agents` in all.
Result<std::vector<AgentShape>> ParseClusterFile(const std::string& path, const std::string& text,
                                                 const std::string& default_resources,
                                                 int max_agents);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_CLUSTER_FILE_H_

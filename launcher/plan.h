// The Plan: what the compiler makes of a spec, and everything the scheduler
// needs to match offers and launch instances. Plain values; no behaviour.
//
// Offer-dependent values are left as placeholders to be filled at launch:
// strings carry `${ports.NAME}`, `${host}`, `${task_id}` (see
// launcher/spec/interpolate.h); numeric fields that name ports (health
// check, discovery) are 0 and listed in TaskPlan so they can be set.
#ifndef MLAUNCH_LAUNCHER_PLAN_H_
#define MLAUNCH_LAUNCHER_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "launcher/spec/spec.h"
#include "mesos/v1/mesos.pb.h"
#include "mesos_launch/service.pb.h"

namespace mlaunch {

// Scalar resources asked of one offer for one instance.
struct ResourceAsk {
  double cpus = 0;
  double mem = 0;   // MB
  double disk = 0;  // MB
  double gpus = 0;
};

struct PortAsk {
  std::string name;
  std::optional<uint32_t> static_port;  // nullopt: any port of the offer
};

// What an offer must satisfy to take one instance.
struct MatchRule {
  ResourceAsk task;      // goes into TaskInfo.resources
  ResourceAsk executor;  // goes into ExecutorInfo.resources
  std::vector<PortAsk> ports;
  std::vector<spec::Constraint> constraints;
  std::vector<std::string> roles;  // resources of these roles only
};

struct TaskPlan {
  std::string name;
  int64_t instances = 1;
  MatchRule match;
  // Template for every instance: no task_id, agent_id, ports resource or
  // data yet; executor_id is `${task_id}`.
  mesos::v1::TaskInfo task_info;
  // Becomes TaskInfo.data at launch, with port numbers filled in.
  ServiceConfig service;
  // Port names whose numbers go into health_check.{http,tcp}.port.
  std::string health_port;
  // A container on a bridge or CNI network: each port's mapping, in the
  // order of the container's port_mappings (whose host_port is 0 here).
  // The service, its health check and the mapping's container_port use the
  // port inside the container; 0 there means the host port's number.
  struct PortMap {
    std::string name;
    uint32_t container_port = 0;
  };
  std::vector<PortMap> port_maps;
  spec::Task spec;  // the policy the scheduler follows (restart, ...)
  // The sha256 the agent checks the fetched executor against; empty: none.
  std::string executor_sha256;
};

struct Plan {
  mesos::v1::FrameworkInfo framework;
  std::vector<TaskPlan> tasks;
  spec::Duration placement_timeout;  // 0: wait forever
  // Where tasks that name no executor.uri get theirs from (Describe() of
  // CompileOptions::executor), for --plan and the run's first lines.
  std::string executor_source;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_PLAN_H_

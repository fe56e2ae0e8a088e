// GET /master/state: a JSON subset of Mesos' state endpoint, with Mesos'
// key names ("slaves", "slave_id", "frameworks", "completed_frameworks",
// tasks with "state"). Pure code: no I/O.
#ifndef MLAUNCH_CLUSTER_STATE_JSON_H_
#define MLAUNCH_CLUSTER_STATE_JSON_H_

#include "cluster/master_core.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

nlohmann::json StateJson(const mesos::v1::MasterInfo& master, const MasterView& view);

// Mesos' JSON for resources: {"cpus": 4, "mem": 4096, "ports": "[31000-31009]"}.
nlohmann::json ResourcesJson(const Resources& resources);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_STATE_JSON_H_

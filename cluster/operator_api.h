// The master's side of the Mesos v1 operator API (docs/mesos-protocol.md,
// "The operator API"), as pure functions of a MasterView: the answers to
// the read-only calls, the metrics of /metrics/snapshot, and the events of
// the SUBSCRIBE stream, found by comparing the view before a change with
// the view after it. Master (cluster/master_http.h) does the HTTP and the
// streams.
//
// The events: AGENT_ADDED for an agent that appeared, FRAMEWORK_ADDED,
// FRAMEWORK_UPDATED (its info, `connected` or `active` changed),
// TASK_ADDED then, when the task already has an update, TASK_UPDATED;
// TASK_UPDATED whenever a task's state changes, and also when its health
// changes (Mesos sends it on a state change only; a status page needs the
// health too), FRAMEWORK_REMOVED and AGENT_REMOVED last. A task that the
// view forgets (the oldest completed ones) raises nothing, as in Mesos.
//
// Pure code: no I/O, no clock (time comes in through OperatorFacts).
#ifndef MLAUNCH_CLUSTER_OPERATOR_API_H_
#define MLAUNCH_CLUSTER_OPERATOR_API_H_

#include <string>
#include <vector>

#include "cluster/master_core.h"
#include "mesos/v1/master/master.pb.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

// What the operator API reports beside the view.
struct OperatorFacts {
  mesos::v1::MasterInfo master;
  mesos::v1::VersionInfo version;
  UnixMillis started_at = 0;  // milliseconds since the epoch
  UnixMillis now = 0;
  bool elected = true;  // this master leads
};

// The answer to an operator call: a Response for `status` 200, otherwise
// the text of the refusal.
struct OperatorAnswer {
  int status = 200;
  mesos::v1::master::Response response;
  std::string error;
};

// Answers GET_HEALTH, GET_VERSION, GET_METRICS, GET_STATE, GET_AGENTS,
// GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, GET_ROLES and GET_MASTER; any
// other call gets 501 naming those and the ones Master handles itself
// (SUBSCRIBE, MARK_AGENT_GONE).
OperatorAnswer AnswerOperatorCall(const mesos::v1::master::Call& call, const MasterView& view,
                                  const OperatorFacts& facts);

mesos::v1::master::Response::GetState OperatorState(const MasterView& view,
                                                    const mesos::v1::MasterInfo& master);

// The events that take a subscriber from `before` to `after`, in order.
std::vector<mesos::v1::master::Event> OperatorChanges(const MasterView& before,
                                                      const MasterView& after,
                                                      const mesos::v1::MasterInfo& master);

// Mesos' metric names and their values ("master/tasks_running", ...),
// sorted by name: GET_METRICS and /metrics/snapshot.
std::vector<mesos::v1::Metric> OperatorMetrics(const MasterView& view, const OperatorFacts& facts);
nlohmann::json MetricsJson(const std::vector<mesos::v1::Metric>& metrics);

// The JSON of GET /version: VersionInfo's fields by their names.
nlohmann::json VersionJson(const mesos::v1::VersionInfo& version);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_OPERATOR_API_H_

// What the embedded master requires of what frameworks send, as tables of
// rules (rule_table.h; docs/embedded-cluster.md, "What the master refuses").
// Each rule has a short name, which the tests and the docs use, and says in
// our own words what is wrong when it is broken. How a broken rule is
// answered is the caller's:
//
//   CheckCall            400 Bad Request (the call never reaches the core)
//   CheckFrameworkInfo   an ERROR event at SUBSCRIBE, 400 for UPDATE_FRAMEWORK
//   CheckOffers          TASK_LOST (TASK_DROPPED if partition-aware),
//                        REASON_INVALID_OFFERS, for every task of the ACCEPT
//   CheckTask, CheckExecutor
//                        TASK_ERROR with REASON_TASK_INVALID (LAUNCH) or
//                        REASON_TASK_GROUP_INVALID (every task of the group)
//
// The outcomes (status code, event, state and reason) are Mesos' contract;
// the messages are ours. Pure functions of their arguments; thread-safe.
#ifndef MLAUNCH_CLUSTER_MASTER_RULES_H_
#define MLAUNCH_CLUSTER_MASTER_RULES_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/resources.h"
#include "cluster/rule_table.h"
#include "mesos/v1/mesos.pb.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch::cluster {

// The labels of a FrameworkInfo, or of a TaskInfo, may take at most this
// many bytes (serialized): the master keeps them for as long as it keeps
// the framework, and more would let one client fill its memory.
inline constexpr std::size_t kMaxLabelsBytes = 64 * 1024;

// A scheduler call's shape: its type, the parameters its type needs, ids
// that must agree. `principal`: the authenticated caller, if any.
Verdict CheckCall(const mesos::v1::scheduler::Call& call,
                  const std::optional<std::string>& principal);

// A FrameworkInfo at SUBSCRIBE or UPDATE_FRAMEWORK: roles, failover
// timeout, labels.
Verdict CheckFrameworkInfo(const mesos::v1::FrameworkInfo& info);

// An id Mesos would accept as a framework, task or executor id (it becomes
// a folder name on the agents).
std::optional<std::string> IdProblem(std::string_view id);

// The offers an ACCEPT names. `outstanding`: the offers the master has out,
// by id, with the role each is allocated to.
struct OfferCheck {
  const mesos::v1::scheduler::Call::Accept& accept;
  const std::string& framework_id;
  const std::map<std::string, std::pair<const mesos::v1::Offer*, std::string>>& outstanding;
};
Verdict CheckOffers(const OfferCheck& check);

// One task of a LAUNCH (group_executor null) or of a LAUNCH_GROUP.
struct TaskCheck {
  const mesos::v1::TaskInfo& task;
  const std::string& framework_id;
  const std::string& agent_id;      // the offers'
  bool id_taken = false;            // by a task the framework has, or earlier in the group
  bool agent_takes_limits = false;  // the agent has TASK_RESOURCE_LIMITS
  const mesos::v1::ExecutorInfo* group_executor = nullptr;
};
Verdict CheckTask(const TaskCheck& check);

// The executor of a LAUNCH's task or of a LAUNCH_GROUP.
struct ExecutorCheck {
  const mesos::v1::ExecutorInfo& executor;
  const std::string& framework_id;
  // The executor with the same id the framework already has on the agent.
  const mesos::v1::ExecutorInfo* running = nullptr;
  bool group = false;
};
Verdict CheckExecutor(const ExecutorCheck& check);

// The message when a task (or group) and its new executor need more than
// the offers hold.
std::string DoesNotFit(const Resources& needed, const Resources& offered);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_MASTER_RULES_H_

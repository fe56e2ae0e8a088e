// The Mesos master's decisions, as a pure state machine (v1 Scheduler API;
// docs/embedded-cluster.md, "What it implements" and "What the master
// refuses"). Scheduler calls, agent reports and the clock go in; events
// for subscription streams, streams to close and requests for agents come
// out. No I/O, no clock, no threads: the
// HTTP edge (master_http.h) parses and checks requests and moves the output
// onto sockets; agents are reached through AgentRequest values.
//
// What it keeps: frameworks (subscription stream, failover timer, suppressed
// roles), agents and their resources, outstanding offers, refusal filters,
// tasks with their latest state and the ordered stream of status updates
// still to be acknowledged (only the head is forwarded; it is re-sent after
// 10 s, doubling up to 10 min, and at once on re-subscription; a terminal
// task is forgotten only after its terminal update is acknowledged).
// Master-generated updates (validation, reconciliation) carry no uuid.
//
// Not thread-safe: the caller serialises every call.
#ifndef MLAUNCH_CLUSTER_MASTER_CORE_H_
#define MLAUNCH_CLUSTER_MASTER_CORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "cluster/allocator.h"
#include "cluster/master_rules.h"
#include "cluster/resources.h"
#include "common/millis.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch::cluster {

struct MasterOptions {
  std::string master_id;  // a UUID; ids are "<master_id>-0000", "-S0", "-O0"
  std::string hostname = "localhost";
  std::string ip = "127.0.0.1";  // dotted IPv4
  int port = 5050;
  std::string version = "1.12.0";
  UnixMillis heartbeat_interval = 15'000;
  UnixMillis allocation_interval = 1'000;
  UnixMillis status_update_retry_min = 10'000;
  UnixMillis status_update_retry_max = 600'000;
  std::function<std::string()> new_uuid;  // 16 random bytes
  // Ended frameworks and ended tasks are kept for /master/state and to
  // refuse a removed framework, up to these counts (Mesos' defaults of
  // --max_completed_frameworks and --max_completed_tasks_per_framework);
  // beyond them the oldest is forgotten.
  std::size_t max_completed_frameworks = 50;
  std::size_t max_completed_tasks_per_framework = 1000;
};

// Requests from the master to one agent.
struct LaunchTasks {  // LAUNCH (one task) or LAUNCH_GROUP (several)
  std::string agent_id;
  mesos::v1::FrameworkInfo framework;               // with its id
  std::optional<mesos::v1::ExecutorInfo> executor;  // LAUNCH_GROUP only
  std::vector<mesos::v1::TaskInfo> tasks;
};
struct KillTask {
  std::string agent_id;
  std::string framework_id;
  mesos::v1::TaskID task_id;
  std::optional<mesos::v1::KillPolicy> kill_policy;
};
struct ShutdownExecutor {
  std::string agent_id;
  std::string framework_id;
  mesos::v1::ExecutorID executor_id;
};
struct ShutdownFramework {  // kill everything of the framework
  std::string agent_id;
  std::string framework_id;
};
struct AcknowledgeUpdate {  // the scheduler acknowledged this update
  std::string agent_id;
  std::string framework_id;
  mesos::v1::TaskID task_id;
  std::string uuid;
};
struct FrameworkToExecutor {
  std::string agent_id;
  std::string framework_id;
  mesos::v1::ExecutorID executor_id;
  std::string data;
};
using AgentRequest = std::variant<LaunchTasks, KillTask, ShutdownExecutor, ShutdownFramework,
                                  AcknowledgeUpdate, FrameworkToExecutor>;

struct StreamEvent {
  std::string stream_id;
  mesos::v1::scheduler::Event event;
};

struct MasterOutput {
  std::vector<StreamEvent> events;         // write in order
  std::vector<std::string> close_streams;  // close after the events
  std::vector<AgentRequest> agent_requests;
};

// A refusal of a non-SUBSCRIBE call before it is processed (the framework
// unknown, not subscribed, another principal's, a missing or stale stream
// id): the HTTP status and the text body.
struct CallRejection {
  int status;
  std::string body;
};

// Read-only views for GET /master/state and the operator API.
struct TaskView {
  mesos::v1::TaskInfo info;
  mesos::v1::TaskState state;
  // The newest update received (unset before the first), and whether the
  // task is completed: terminal with every update acknowledged.
  std::optional<mesos::v1::TaskStatus> latest = std::nullopt;
  bool completed = false;
};
// An executor an agent still has when it re-registers (the cluster started
// again with the same work dir), with its tasks and their latest states.
struct RecoveredExecutor {
  mesos::v1::FrameworkInfo framework;  // with its id
  mesos::v1::ExecutorInfo executor;
  std::vector<TaskView> tasks;
};

struct ExecutorView {
  std::string agent_id;
  mesos::v1::ExecutorInfo info;
};
struct FrameworkView {
  mesos::v1::FrameworkInfo info;
  bool connected;
  bool active;
  std::vector<TaskView> tasks;
  std::vector<mesos::v1::Offer> offers;
  std::vector<ExecutorView> executors;
};
struct AgentView {
  mesos::v1::AgentInfo info;
  Resources used;     // by tasks and executors
  Resources offered;  // in outstanding offers
};
struct MasterView {
  std::vector<FrameworkView> frameworks;
  std::vector<FrameworkView> completed_frameworks;
  std::vector<AgentView> agents;
  // Tasks completed since the master started, by their last state: counted
  // as they complete, so the tasks the views forget still count.
  std::map<mesos::v1::TaskState, std::uint64_t> completed_counts;
};

// What an agent can do beyond the basics (Mesos' agent capabilities, sent
// at registration, not in AgentInfo). The embedded agents have none: they
// enforce no resource limits.
struct AgentCapabilities {
  bool task_resource_limits = false;  // TASK_RESOURCE_LIMITS: TaskInfo.limits
};

class MasterCore {
 public:
  explicit MasterCore(MasterOptions options);

  mesos::v1::MasterInfo master_info() const;

  // Agents. `info.id` is assigned; `ip` and `info.port` are where the
  // agent serves. Returns the agent id. Its resources are offered in the
  // next allocation.
  std::string AddAgent(mesos::v1::AgentInfo info, std::string ip,
                       AgentCapabilities capabilities = {});

  // An agent known before a restart of the master comes back (`info.id`
  // set) with what it recovered (as after a Mesos master failover: it learns frameworks
  // from re-subscriptions and from agents re-registering with their tasks).
  // A framework the master does not know is added, disconnected and
  // without a failover timer, until it re-SUBSCRIBEs; one the master
  // removed gets its executors on the agent shut down. Recovered tasks
  // (not terminal) keep their state and, with their executors, their
  // resources: those are not offered again.
  MasterOutput ReregisterAgent(mesos::v1::AgentInfo info, std::string ip,
                               const std::vector<RecoveredExecutor>& executors);

  // A status update from an agent (generated by it or by an executor). With
  // a uuid it joins the task's stream and is retried until acknowledged;
  // without one it is forwarded once.
  MasterOutput StatusUpdate(const std::string& agent_id, const std::string& framework_id,
                            mesos::v1::TaskStatus status, UnixMillis now);
  // A custom executor ended: its resources are free; the scheduler gets
  // FAILURE{agent_id, executor_id, status} (no status when `wait_status` is
  // negative: unknown, for an executor that was not the agent's child).
  MasterOutput ExecutorTerminated(const std::string& agent_id, const std::string& framework_id,
                                  const mesos::v1::ExecutorID& executor_id, int wait_status,
                                  UnixMillis now);
  // MESSAGE from an executor to its scheduler (best effort).
  MasterOutput ExecutorMessage(const std::string& agent_id, const std::string& framework_id,
                               const mesos::v1::ExecutorID& executor_id, std::string data);

  // The operator's MARK_AGENT_GONE: the agent will not come
  // back. Every task on it ends TASK_GONE_BY_OPERATOR (TASK_LOST for a
  // framework that is not PARTITION_AWARE), reason
  // REASON_AGENT_REMOVED_BY_OPERATOR, from the master and without uuid (so
  // nothing to acknowledge); its executors and resources are forgotten; each
  // framework gets FAILURE{agent_id} and a RESCIND for each of its offers on
  // the agent; the agent is asked to shut every framework down (its
  // executors are killed) and then forgotten: later reports from it are
  // ignored, and an explicit reconciliation of a task on it answers
  // TASK_GONE_BY_OPERATOR (or TASK_LOST). Nullopt when no such agent is
  // registered.
  std::optional<MasterOutput> MarkAgentGone(const std::string& agent_id, UnixMillis now);
  // An agent marked gone before the master restarted (the cluster's
  // registry remembers it): reconciliation answers for it as above.
  void RememberGoneAgent(const std::string& agent_id);

  // SUBSCRIBE, already checked by CheckCall (master_rules.h). Always yields a stream:
  // SUBSCRIBED then HEARTBEAT, or ERROR and a close.
  // `principal`: the authenticated principal, if any.
  struct Subscription {
    std::string stream_id;  // canonical UUID text
    MasterOutput output;
  };
  Subscription Subscribe(const mesos::v1::scheduler::Call& call,
                         const std::optional<std::string>& principal, UnixMillis now);

  // The checks of a validated non-SUBSCRIBE call against the framework it
  // names (see CallRejection).
  std::optional<CallRejection> CheckCaller(const mesos::v1::scheduler::Call& call,
                                           const std::optional<std::string>& principal,
                                           const std::optional<std::string>& stream_id) const;

  // Processes a non-SUBSCRIBE call that passed CheckCaller (202 on the wire).
  MasterOutput Handle(const mesos::v1::scheduler::Call& call, UnixMillis now);

  // UPDATE_FRAMEWORK for a call that passed CheckCaller. It is
  // answered synchronously: 200 when applied (the new FrameworkInfo, roles
  // and suppressed roles; outstanding offers of a role the framework no
  // longer has are rescinded), or 400 with the reason and nothing changed
  // (a changed principal, user or checkpoint, invalid roles, a suppressed
  // role not among the roles). There are no ACLs, so no 403.
  struct Update {
    int status = 200;
    std::string body;  // the reason of a 400
    MasterOutput output;
  };
  Update UpdateFramework(const mesos::v1::scheduler::Call& call);

  // The subscription stream ended (client gone, or closed by us).
  MasterOutput StreamClosed(const std::string& stream_id, UnixMillis now);

  // Heartbeats, failover timeouts, update retries, filter expiry and
  // allocation (every allocation interval, or at once after a subscription,
  // a new agent or a REVIVE).
  MasterOutput Tick(UnixMillis now);
  // When Tick() next has something to do: the earliest heartbeat, update
  // retry, failover timeout or allocation due (allocation only while some
  // framework takes offers: with every one suppressed it does nothing).
  // nullopt: nothing until a call, a subscription, an agent or an agent's
  // report changes the state. May be in the past: tick now.
  std::optional<UnixMillis> NextTick() const;

  MasterView View() const;

 private:
  struct Task {
    mesos::v1::TaskInfo info;
    std::string agent_id;
    mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
    // The newest update received: reconciliation repeats its healthy and
    // check_status (not its labels), ...
    mesos::v1::TaskStatus latest;
    // ... and the container status of the newest update that had one.
    std::optional<mesos::v1::ContainerStatus> container_status;
    std::deque<mesos::v1::TaskStatus> pending;  // head forwarded, unacked
    UnixMillis next_retry = 0;  // in Framework::retries while `pending` is not empty
    UnixMillis retry_interval = 0;
  };
  struct Executor {
    mesos::v1::ExecutorInfo info;
    Resources resources;
  };
  struct Framework {
    mesos::v1::FrameworkInfo info;  // with id
    bool connected = false;
    std::string stream_id;
    UnixMillis next_heartbeat = 0;
    std::optional<UnixMillis> failover_deadline;
    std::set<std::string> suppressed_roles;
    std::map<std::string, Task> tasks;
    // (next_retry, task id) of each task with an update unacknowledged:
    // Tick() and NextTick() look at the due ones only, not at every task.
    std::set<std::pair<UnixMillis, std::string>> retries;
    // agent id -> executor id -> executor
    std::map<std::string, std::map<std::string, Executor>> executors;
    std::deque<Task> completed_tasks;  // oldest first, bounded
  };
  struct Agent {
    mesos::v1::AgentInfo info;
    std::string ip;
    Resources total;
    AgentCapabilities capabilities;
  };
  struct OutstandingOffer {
    mesos::v1::Offer offer;  // allocation_info on the offer and resources
    std::string role;
    Resources resources;  // the offer's, without allocation_info
  };

  std::string NextFrameworkId();
  std::string NewStreamId();
  mesos::v1::scheduler::Event UpdateEvent(const mesos::v1::TaskStatus& s) const;
  mesos::v1::TaskStatus MasterStatus(const std::string& framework_id,
                                     const mesos::v1::TaskID& task_id, const std::string& agent_id,
                                     mesos::v1::TaskState state,
                                     mesos::v1::TaskStatus::Reason reason,
                                     const std::string& message, UnixMillis now) const;
  void Send(Framework& framework, mesos::v1::scheduler::Event event, MasterOutput* out) const;
  void SendUpdate(Framework& framework, const mesos::v1::TaskStatus& status,
                  MasterOutput* out) const;
  // Enters the task in framework.retries at `at`, or takes it out.
  static void ScheduleRetry(Framework& framework, Task& task, UnixMillis at);
  static void CancelRetry(Framework& framework, Task& task);
  void ForwardHead(Framework& framework, Task& task, UnixMillis now, MasterOutput* out);
  void DiscardOffers(const std::string& framework_id);
  void RemoveFramework(Framework& framework, UnixMillis now, MasterOutput* out);
  void Accept(Framework& framework, const mesos::v1::scheduler::Call::Accept& accept,
              UnixMillis now, MasterOutput* out);
  struct Acceptance;
  // An ACCEPT of offers that are not valid: the framework's offers in it go
  // back without a filter, each task gets TASK_LOST (TASK_DROPPED when
  // partition-aware) with REASON_INVALID_OFFERS and `why`.
  void RefuseInvalidOffers(Framework& framework, const mesos::v1::scheduler::Call::Accept& accept,
                           const std::string& why, UnixMillis now, MasterOutput* out);
  // A LAUNCH's task, or a LAUNCH_GROUP: checked, fitted into what is left
  // of the offers, recorded and sent to the agent; or TASK_ERROR.
  void Launch(Acceptance& acceptance, const mesos::v1::TaskInfo& task);
  void LaunchGroup(Acceptance& acceptance, const mesos::v1::Offer::Operation::LaunchGroup& group);
  void TaskError(Acceptance& acceptance, const mesos::v1::TaskInfo& task,
                 mesos::v1::TaskStatus::Reason reason, const std::string& message) const;
  void Decline(Framework& framework, const mesos::v1::scheduler::Call::Decline& decline,
               UnixMillis now);
  void Reconcile(Framework& framework, const mesos::v1::scheduler::Call::Reconcile& reconcile,
                 UnixMillis now, MasterOutput* out);
  void Kill(Framework& framework, const mesos::v1::scheduler::Call::Kill& kill, UnixMillis now,
            MasterOutput* out);
  void Acknowledge(Framework& framework, const mesos::v1::scheduler::Call::Acknowledge& ack,
                   UnixMillis now, MasterOutput* out);
  void Refuse(const std::string& framework_id, const std::string& role, const std::string& agent_id,
              const Resources& resources, std::optional<double> refuse_seconds, UnixMillis now);
  std::vector<std::string> Roles(const Framework& framework) const;
  // By agent id: what tasks and executors use, what outstanding offers
  // hold. One pass each, however many agents (an allocation over 10,000
  // agents must not look at every offer once per agent).
  std::map<std::string, Resources> UsedByAgent() const;
  std::map<std::string, Resources> OfferedByAgent() const;
  void Allocate(UnixMillis now, MasterOutput* out);
  mesos::v1::Offer ForFramework(const Framework& framework, const OutstandingOffer& offer) const;

  MasterOptions options_;
  std::map<std::string, Framework> frameworks_;
  std::map<std::string, Framework> completed_frameworks_;
  std::deque<std::string> completed_order_;  // ids, oldest first
  // Keeps an ended task, forgetting the oldest beyond the limit.
  void Complete(Framework& framework, Task task);
  std::map<std::string, Agent> agents_;
  std::map<mesos::v1::TaskState, std::uint64_t> completed_counts_;
  std::set<std::string> gone_agents_;  // marked gone by the operator
  std::map<std::string, OutstandingOffer> offers_;
  RefusalFilters filters_;
  int next_framework_ = 0;
  int next_agent_ = 0;
  int next_offer_ = 0;
  bool allocation_wanted_ = false;
  UnixMillis next_allocation_ = 0;
};

bool IsTerminal(mesos::v1::TaskState state);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_MASTER_CORE_H_

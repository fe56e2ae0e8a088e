// The scheduler's decisions, as a pure state machine: each event from the
// master (or a tick of the clock, or a request to stop) goes in with the
// current time, and the calls to send and the lines to show come out. No
// I/O, no clock, no threads: the driver moves bytes and time.
//
// What it decides: which offers to accept for which instances (offer_match.h)
// and the rest declined in one DECLINE; SUPPRESS once nothing waits, REVIVE
// when something does; acknowledgements of every update that carries a uuid;
// restarts under each task's `restart:` policy with exponential backoff;
// explicit reconciliation of known tasks on every subscription, repeated
// with backoff for tasks the master has not answered for (after a master
// failover it answers only once their agents are back), and implicit
// reconciliation periodically;
// staging timeouts; depends_on ordering; the placement timeout (exit 3); a
// policy given up (exit 4); and a clean stop: KILL everything, wait for the
// terminal updates (bounded), TEARDOWN; exit 0, or 130 when no instance
// ever ran (then the last failure is shown).
//
// Not thread-safe. The Plan must outlive the core.
#ifndef MLAUNCH_LAUNCHER_SCHEDULER_CORE_H_
#define MLAUNCH_LAUNCHER_SCHEDULER_CORE_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/millis.h"
#include "launcher/instantiate.h"
#include "launcher/known_task.h"
#include "launcher/offer_match.h"
#include "launcher/plan.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch {

// Time here is SteadyMillis (common/millis.h): the driver's steady clock.

enum class InstanceState {
  kBlocked,   // waiting for depends_on
  kWaiting,   // waiting for an offer that fits
  kBackoff,   // waiting out a restart delay
  kLaunched,  // accepted; STAGING or STARTING
  kRunning,
  kKilling,
  kDone,    // reached its goal (a command that finished)
  kGaveUp,  // failed and its restart policy is exhausted
};

std::string_view StateName(InstanceState state);
// Whether the instance has a task the master knows: launched, running or
// being killed.
constexpr bool HasLiveTask(InstanceState state) {
  return state == InstanceState::kLaunched || state == InstanceState::kRunning ||
         state == InstanceState::kKilling;
}

// One line for people (and, with --output json, one object for tools).
struct ViewEvent {
  enum class Kind { kInstance, kWaiting, kServing, kNote };
  Kind kind = Kind::kNote;
  std::string instance;  // "web.0", or empty
  std::string text;
  // What every instance goes through (launched, running, serving, ended by
  // a stop): a view may sum these up for a task of many instances.
  bool routine = false;
};

// Per task name, how many of its instances are in each state, in the order
// of InstanceState, states with none left out.
using CountsByTask = std::map<std::string, std::vector<std::pair<std::string_view, std::size_t>>>;

struct Output {
  std::vector<mesos::v1::scheduler::Call> calls;
  std::vector<ViewEvent> view;
  std::optional<int> exit_code;  // set once: the run is over (launcher/exit_code.h)
  // How soon KnownTasks() must reach the failover state file. A launch:
  // before `calls` are sent, so that a crash cannot leave a launched task
  // unknown to the next run. Other changes (health, where an adopted task
  // runs): soon, with others, so that thousands of updates do not each
  // rewrite a file of thousands of tasks (DriverOptions::save_every).
  enum class Save { kNo, kSoon, kBeforeCalls };
  Save save = Save::kNo;
  void SaveAtLeast(Save at_least) { save = std::max(save, at_least); }
};

struct CoreOptions {
  std::function<std::string()> new_uuid;       // for task ids
  std::map<std::string, std::string> secrets;  // env var name -> value
  SteadyMillis waiting_report_every = 5000;
  SteadyMillis stop_wait = 15000;     // after the longest kill grace
  double decline_seconds = 5;         // while instances wait
  double decline_idle_seconds = 120;  // when nothing waits
  // Implicit reconciliation (a RECONCILE naming no task: the master answers
  // with every task it has of ours) this often while subscribed, so a lost
  // update or a task we do not know of (then killed) cannot stay unseen.
  SteadyMillis reconcile_every = 10 * 60 * 1000;
  // Explicit reconciliation of unanswered tasks: first again after this,
  // then at doubling intervals up to the cap.
  SteadyMillis reconcile_retry = 5000;
  SteadyMillis reconcile_retry_max = 60000;
};

class SchedulerCore {
 public:
  SchedulerCore(const Plan& plan, CoreOptions options);

  // Tasks launched by an earlier run of this framework (failover): they are
  // taken as this run's instances, with their agent, ports and last known
  // health, their state unknown until the reconciliation that follows the
  // subscription answers. Task ids naming no instance of the plan are
  // ignored (reconciliation later finds them, and they are killed).
  void Adopt(const std::vector<KnownTask>& tasks, SteadyMillis now);
  // The instances launched and not yet ended, as Adopt() takes them.
  std::vector<KnownTask> KnownTasks() const;

  Output Subscribed(const mesos::v1::scheduler::Event::Subscribed& subscribed, SteadyMillis now);
  Output Offers(const OfferList& offers, SteadyMillis now);
  Output Update(const mesos::v1::TaskStatus& status, SteadyMillis now);
  // An executor ended (or an agent was lost; then nothing changes here).
  // An executor that refused its fetched binary (kExecutorChecksumExit)
  // gives its instance that cause and ends the run with exit 4: fetching the
  // same URI again would fetch the same bytes. It may come before or after
  // the task's terminal update. `executor_stderr` is what the driver could
  // read of the executor's stderr (see ExecutorStderr), where the agent's
  // check named the digest it found; "" when it could not.
  Output Failure(const mesos::v1::scheduler::Event::Failure& failure,
                 std::string_view executor_stderr, SteadyMillis now);
  // A file in an executor's sandbox, as an agent's /files/read serves it
  // (docs/mesos-protocol.md).
  struct SandboxFile {
    std::string agent_url;  // "http://IP:PORT"
    std::string path;       // "/frameworks/F/executors/E/runs/latest/stderr"
  };
  // For a FAILURE that is such a refusal: that executor's stderr, for the
  // driver to read before calling Failure(). Nothing for any other FAILURE,
  // or when the agent's URL is not known.
  std::optional<SandboxFile> ExecutorStderr(
      const mesos::v1::scheduler::Event::Failure& failure) const;
  Output Tick(SteadyMillis now);
  // A stop request (SIGINT, SIGTERM, --duration). A second one tears down
  // at once.
  Output Stop(SteadyMillis now);

  const std::string& framework_id() const { return framework_id_; }

  struct Instance {
    const TaskPlan* task = nullptr;
    int64_t index = 0;
    InstanceState state = InstanceState::kBlocked;
    std::string task_id;
    std::string agent_id;
    AgentFacts agent;
    std::map<std::string, uint32_t> ports;
    bool healthy = false;                // with no health check: while running
    SteadyMillis healthy_since = -1;     // when the current healthy stretch began; -1: none
    bool announced = false;              // its URL was shown
    SteadyMillis since = 0;              // when the current state began
    SteadyMillis ready_at = 0;           // kBackoff: when it may be placed again
    int failures = 0;                    // since the last reset, for the backoff
    std::vector<SteadyMillis> restarts;  // within the policy's window
    std::string attempt;                 // "attempt 2 of 10" until the restart is launched
    std::string last_failure;
    std::string ended_task_id;   // the task ended before a restart, for a late FAILURE
    std::string executor_cause;  // from a FAILURE before the task's terminal update
    // Why it does not fit, from the offers seen since the last report.
    int offers_seen = 0;
    std::map<Miss::Kind, int> miss_counts;
    std::map<Miss::Kind, Miss> best_miss;  // the closest offer per dimension
    struct RuleMisses {
      int count = 0;
      std::string detail;       // the first one
      bool same_detail = true;  // every one said the same (e.g. no such attribute)
    };
    std::map<std::string, RuleMisses> constraint_misses;  // by Miss::rule
    SteadyMillis reported_at = 0;  // the last waiting report or backoff countdown
  };
  const std::vector<Instance>& instances() const { return instances_; }
  CountsByTask Counts() const;

 private:
  std::string Name(const Instance& i) const;
  Instance* FindByTaskId(const std::string& task_id);
  // The instance whose executor `failure` is about, when it ended with
  // kExecutorChecksumExit after a check of ours.
  const Instance* RefusedExecutor(const mesos::v1::scheduler::Event::Failure& failure) const;
  mesos::v1::scheduler::Call NewCall(mesos::v1::scheduler::Call::Type type) const;
  // A RECONCILE naming the tasks in `unanswered_`.
  mesos::v1::scheduler::Call ReconcileUnanswered() const;
  // KILL of the instance's task, with its task's kill policy.
  mesos::v1::scheduler::Call KillCall(const Instance& i) const;
  void Enter(Instance& i, InstanceState state, SteadyMillis now, Output& out,
             std::string note = {});
  // The one place an instance's state changes: keeps in_state_.
  void SetState(Instance& i, InstanceState state);
  // The one place an instance's task id changes: keeps by_task_id_.
  void SetTaskId(Instance& i, std::string task_id);
  void Unblock(SteadyMillis now, Output& out);
  bool DependenciesMet(const Instance& i) const;
  void Ended(Instance& i, const mesos::v1::TaskStatus& status, SteadyMillis now, Output& out);
  void Restart(Instance& i, SteadyMillis now, Output& out);
  // The healthy stretch of `i` ends now: when it lasted `reset_after`, the
  // backoff starts over.
  void HealthyStretchEnds(Instance& i, SteadyMillis now);
  // "attempt 3 of 5" (or "attempt 3" with no limit), `restarts` counted.
  std::string Attempt(const Instance& i) const;
  // The agent's hostname, or "agent ID" when it is not known (a task
  // adopted from a state file of an older version).
  static std::string Where(const Instance& i);
  void Finish(int code, SteadyMillis now, Output& out);
  void AdjustOffers(Output& out);
  // Instances adopted from a state file of an older version know where
  // they run only by agent id, until an offer of that agent says more.
  void LearnAgents(const OfferList& offers, Output& out);
  // The waiting instance `i` launched as `launch` on `agent_id`: its new
  // task id, agent and ports, LAUNCHED; returns its TaskInfo. `addresses`:
  // where each task's first instance is, for ${tasks.NAME...}.
  mesos::v1::TaskInfo Launch(Instance& i, const InstanceLaunch& launch, const std::string& agent_id,
                             const std::map<std::string, TaskAddress>& addresses, SteadyMillis now,
                             Output& out);
  // Why the offers did not fit the instances still waiting, kept for the
  // waiting report (which is made when due).
  void RememberMisses(const std::vector<Instance*>& waiting, const MatchOutcome& match,
                      SteadyMillis now, Output& out);
  void ReportWaiting(Instance& i, SteadyMillis now, Output& out, bool final);
  bool AnyWaiting() const;
  bool AllEnded() const;

  const Plan& plan_;
  CoreOptions options_;
  std::vector<Instance> instances_;  // never resized after construction
  // Indexes, so that an update or an adopted task costs the same with ten
  // instances as with ten thousand: "web.3" -> instance, task id ->
  // instance, and how many instances are in each state.
  std::unordered_map<std::string, std::size_t> by_name_;
  std::unordered_map<std::string, std::size_t> by_task_id_;
  static constexpr std::size_t kStates = static_cast<std::size_t>(InstanceState::kGaveUp) + 1;
  std::array<std::size_t, kStates> in_state_{};
  std::string framework_id_;
  bool suppressed_ = false;
  // Re-subscribed: the master may still filter our offers (see Subscribed).
  bool revive_to_clear_filters_ = false;
  bool adopted_ = false;  // Adopt() was called: a failover
  bool stopping_ = false;
  bool ran_any_ = false;  // an instance reached RUNNING or finished
  SteadyMillis stop_deadline_ = 0;
  SteadyMillis reconciled_at_ = 0;  // the last RECONCILE, explicit or implicit
  // Explicitly reconciled tasks with no update since, by task id -> agent id.
  std::map<std::string, std::string> unanswered_;
  SteadyMillis reconcile_retry_at_ = 0;
  SteadyMillis reconcile_backoff_ = 0;
  int exit_code_after_stop_ = 0;
  bool finished_ = false;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_SCHEDULER_CORE_H_

#include "launcher/scheduler_core.h"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "common/sha256.h"
#include "launcher/compile.h"
#include "launcher/exit_code.h"
#include "launcher/instantiate.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;
using Call = v1::scheduler::Call;

bool IsTerminal(v1::TaskState state) {
  switch (state) {
    case v1::TASK_FINISHED:
    case v1::TASK_FAILED:
    case v1::TASK_KILLED:
    case v1::TASK_ERROR:
    case v1::TASK_LOST:
    case v1::TASK_DROPPED:
    case v1::TASK_GONE:
    case v1::TASK_GONE_BY_OPERATOR:
    case v1::TASK_UNKNOWN:
      return true;
    default:
      return false;
  }
}

// "TASK_RUNNING" -> "RUNNING"; "REASON_EXECUTOR_TERMINATED" -> "executor terminated".
std::string StateWord(v1::TaskState state) {
  std::string name = v1::TaskState_Name(state);
  return name.rfind("TASK_", 0) == 0 ? name.substr(5) : name;
}

std::string ReasonWords(const v1::TaskStatus& status) {
  std::string text;
  if (status.has_reason()) {
    text = v1::TaskStatus::Reason_Name(status.reason());
    if (text.rfind("REASON_", 0) == 0) text = text.substr(7);
    std::transform(text.begin(), text.end(), text.begin(), [](char c) {
      return c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
  }
  // Agents often say the reason again in the message ("Executor
  // terminated"), masters begin with it ("Reconciliation: Task is unknown").
  std::string message = status.message();
  std::transform(message.begin(), message.end(), message.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (status.message().empty() || message == text) return text;
  if (!text.empty() && message.rfind(text, 0) == 0) return status.message();
  return text + (text.empty() ? "" : ": ") + status.message();
}

// "1.5s", "2s" (never "2.0s"), "45s": tenths below 10 s when there are any.
std::string Seconds(SteadyMillis ms) {
  if (ms >= 10000) return std::to_string(ms / 1000) + "s";
  SteadyMillis tenths = (ms + 50) / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + "s";
}

// "0.5" cpus; "160 MB", "22.5 GB", "900.0 TB" of mem or disk.
std::string Amount(Miss::Kind kind, double value) {
  std::ostringstream out;
  if (kind != Miss::Kind::kMem && kind != Miss::Kind::kDisk) {
    out << value;
    return out.str();
  }
  out << std::fixed;
  if (value >= 10.0 * 1024 * 1024) {
    out.precision(1);
    out << value / (1024.0 * 1024.0) << " TB";
  } else if (value >= 10.0 * 1024) {
    out.precision(1);
    out << value / 1024.0 << " GB";
  } else {
    out.precision(0);
    out << value << " MB";
  }
  return out.str();
}

spec::RestartPolicy PolicyOf(const TaskPlan& task) {
  if (task.spec.restart.policy) return *task.spec.restart.policy;
  return task.spec.service ? spec::RestartPolicy::kAlways : spec::RestartPolicy::kOnFailure;
}

}  // namespace

std::string_view StateName(InstanceState state) {
  switch (state) {
    case InstanceState::kBlocked:
      return "blocked";
    case InstanceState::kWaiting:
      return "waiting";
    case InstanceState::kBackoff:
      return "backoff";
    case InstanceState::kLaunched:
      return "launched";
    case InstanceState::kRunning:
      return "running";
    case InstanceState::kKilling:
      return "killing";
    case InstanceState::kDone:
      return "done";
    case InstanceState::kGaveUp:
      return "gave-up";
  }
  return "?";
}

SchedulerCore::SchedulerCore(const Plan& plan, CoreOptions options)
    : plan_(plan), options_(std::move(options)) {
  for (const TaskPlan& task : plan_.tasks) {
    for (int64_t i = 0; i < task.instances; ++i) {
      Instance instance;
      instance.task = &task;
      instance.index = i;
      by_name_[Name(instance)] = instances_.size();
      instances_.push_back(instance);
      ++in_state_[static_cast<std::size_t>(instance.state)];
    }
  }
}

void SchedulerCore::SetState(Instance& i, InstanceState state) {
  --in_state_[static_cast<std::size_t>(i.state)];
  ++in_state_[static_cast<std::size_t>(state)];
  i.state = state;
}

void SchedulerCore::SetTaskId(Instance& i, std::string task_id) {
  if (!i.task_id.empty()) by_task_id_.erase(i.task_id);
  i.task_id = std::move(task_id);
  if (!i.task_id.empty()) by_task_id_[i.task_id] = static_cast<std::size_t>(&i - instances_.data());
}

std::string SchedulerCore::Name(const Instance& i) const {
  return i.task->name + "." + std::to_string(i.index);
}

SchedulerCore::Instance* SchedulerCore::FindByTaskId(const std::string& task_id) {
  auto it = by_task_id_.find(task_id);
  return it == by_task_id_.end() ? nullptr : &instances_[it->second];
}

Call SchedulerCore::NewCall(Call::Type type) const {
  Call call;
  call.set_type(type);
  if (!framework_id_.empty()) call.mutable_framework_id()->set_value(framework_id_);
  return call;
}

void SchedulerCore::Enter(Instance& i, InstanceState state, SteadyMillis now, Output& out,
                          std::string note) {
  SetState(i, state);
  i.since = now;
  if (state == InstanceState::kRunning) ran_any_ = true;
  if (state == InstanceState::kWaiting) {
    i.offers_seen = 0;
    i.miss_counts.clear();
    i.best_miss.clear();
    i.constraint_misses.clear();
    i.reported_at = now;
  }
  if (note.empty()) return;
  const bool routine =
      state == InstanceState::kLaunched || state == InstanceState::kRunning ||
      (stopping_ && (state == InstanceState::kKilling || state == InstanceState::kDone));
  out.view.push_back({ViewEvent::Kind::kInstance, Name(i), note, routine});
}

CountsByTask SchedulerCore::Counts() const {
  std::map<std::string, std::array<std::size_t, kStates>> by_task;
  for (const Instance& i : instances_) ++by_task[i.task->name][static_cast<std::size_t>(i.state)];
  CountsByTask counts;
  for (const auto& [task, n] : by_task) {
    auto& row = counts[task];
    for (std::size_t s = 0; s < kStates; ++s) {
      if (n[s] > 0) row.emplace_back(StateName(static_cast<InstanceState>(s)), n[s]);
    }
  }
  return counts;
}

bool SchedulerCore::DependenciesMet(const Instance& i) const {
  for (const spec::Dependency& dep : i.task->spec.depends_on) {
    for (const Instance& other : instances_) {
      if (other.task->name != dep.task) continue;
      bool running = other.state == InstanceState::kRunning;
      bool healthy = running && (other.healthy || !other.task->spec.health_check);
      switch (dep.condition) {
        case spec::DependsCondition::kStarted:
          if (!running && other.state != InstanceState::kDone) return false;
          break;
        case spec::DependsCondition::kHealthy:
          if (!healthy) return false;
          break;
        case spec::DependsCondition::kCompleted:
          if (other.state != InstanceState::kDone) return false;
          break;
      }
    }
  }
  return true;
}

void SchedulerCore::Unblock(SteadyMillis now, Output& out) {
  if (stopping_ || in_state_[static_cast<std::size_t>(InstanceState::kBlocked)] == 0) return;
  for (Instance& i : instances_) {
    if (i.state == InstanceState::kBlocked && DependenciesMet(i)) {
      Enter(i, InstanceState::kWaiting, now, out);
    }
  }
}

bool SchedulerCore::AnyWaiting() const {
  return in_state_[static_cast<std::size_t>(InstanceState::kWaiting)] > 0;
}

bool SchedulerCore::AllEnded() const {
  auto in = [this](InstanceState state) { return in_state_[static_cast<std::size_t>(state)]; };
  if (stopping_) {
    return in(InstanceState::kLaunched) + in(InstanceState::kRunning) +
               in(InstanceState::kKilling) ==
           0;
  }
  return in(InstanceState::kDone) == instances_.size();
}

void SchedulerCore::AdjustOffers(Output& out) {
  if (finished_ || framework_id_.empty()) return;
  bool want = AnyWaiting() && !stopping_;
  if (want && (suppressed_ || revive_to_clear_filters_)) {
    out.calls.push_back(NewCall(Call::REVIVE));
    suppressed_ = false;
    revive_to_clear_filters_ = false;
  } else if (!want && !suppressed_) {
    out.calls.push_back(NewCall(Call::SUPPRESS));
    suppressed_ = true;
  }
}

void SchedulerCore::Adopt(const std::vector<KnownTask>& tasks, SteadyMillis now) {
  adopted_ = true;
  ran_any_ = ran_any_ || !tasks.empty();  // they ran under the earlier run
  for (const KnownTask& known : tasks) {
    // <task>.<index>.<uuid>
    const std::string& task_id = known.task_id;
    size_t first = task_id.find('.');
    size_t second = first == std::string::npos ? first : task_id.find('.', first + 1);
    if (second == std::string::npos) continue;
    auto named = by_name_.find(task_id.substr(0, second));
    if (named == by_name_.end()) continue;
    Instance& i = instances_[named->second];
    if (!i.task_id.empty()) continue;
    SetTaskId(i, task_id);
    i.agent_id = known.agent_id;
    i.agent = AgentFacts{known.agent_id, known.hostname, known.attributes};
    i.ports = known.ports;
    i.healthy = known.healthy;  // until an update says otherwise
    SetState(i, InstanceState::kLaunched);
    i.since = now;
  }
}

std::vector<KnownTask> SchedulerCore::KnownTasks() const {
  std::vector<KnownTask> known;
  for (const Instance& i : instances_) {
    if (!HasLiveTask(i.state) || i.task_id.empty()) continue;
    known.push_back(
        {i.task_id, i.agent_id, i.agent.hostname, i.agent.attributes, i.ports, i.healthy});
  }
  return known;
}

std::string SchedulerCore::Where(const Instance& i) {
  return i.agent.hostname.empty() ? "agent " + i.agent_id : i.agent.hostname;
}

std::string SchedulerCore::Attempt(const Instance& i) const {
  int64_t max = i.task->spec.restart.max_attempts;
  return "attempt " + std::to_string(i.restarts.size()) +
         (max > 0 ? " of " + std::to_string(max) : "");
}

Output SchedulerCore::Subscribed(const v1::scheduler::Event::Subscribed& subscribed,
                                 SteadyMillis now) {
  Output out;
  bool again = !framework_id_.empty();
  framework_id_ = subscribed.framework_id().value();
  // The master forgets suppression with a new subscription, but not the
  // refusal filters of our earlier DECLINEs (decline_idle_seconds while
  // nothing waited); and a REVIVE sent while the stream was down was lost.
  // So after a re-subscription (or a failover) an instance that waits asks
  // for offers again with REVIVE, which also clears the filters.
  suppressed_ = false;
  revive_to_clear_filters_ = again || adopted_;
  out.view.push_back(
      {ViewEvent::Kind::kNote, "",
       std::string(again ? "re-subscribed" : "subscribed") + " framework=" + framework_id_});
  // Ask for the state of every task we know: updates may have been lost.
  unanswered_.clear();
  for (const Instance& i : instances_) {
    if (i.task_id.empty() ||
        (i.state != InstanceState::kLaunched && i.state != InstanceState::kRunning &&
         i.state != InstanceState::kKilling)) {
      continue;
    }
    unanswered_[i.task_id] = i.agent_id;
  }
  if (!unanswered_.empty()) out.calls.push_back(ReconcileUnanswered());
  reconciled_at_ = now;
  reconcile_backoff_ = options_.reconcile_retry;
  reconcile_retry_at_ = now + reconcile_backoff_;
  Unblock(now, out);
  AdjustOffers(out);
  return out;
}

void SchedulerCore::LearnAgents(const OfferList& offers, Output& out) {
  for (Instance& i : instances_) {
    if (!HasLiveTask(i.state) || !i.agent.hostname.empty() || i.agent_id.empty()) continue;
    for (const v1::Offer* o : offers) {
      if (o->agent_id().value() != i.agent_id) continue;
      i.agent = AgentFacts::Of(*o);
      out.SaveAtLeast(Output::Save::kSoon);
      break;
    }
  }
}

Output SchedulerCore::Offers(const OfferList& offers, SteadyMillis now) {
  Output out;
  LearnAgents(offers, out);
  std::vector<WaitingInstance> waiting;
  std::vector<Instance*> waiting_instances;
  std::vector<Placement> placed;
  for (Instance& i : instances_) {
    if (i.state == InstanceState::kWaiting && !stopping_) {
      waiting.push_back({i.task, i.index});
      waiting_instances.push_back(&i);
    } else if (HasLiveTask(i.state)) {
      placed.push_back({i.task->name, i.agent});
    }
  }

  MatchOutcome match;
  if (waiting.empty()) {
    for (const v1::Offer* o : offers) match.unused.push_back(o->id());
  } else {
    match = MatchOffers(offers, waiting, placed);
  }

  // Where each task's first instance is, for ${tasks.NAME...}.
  std::map<std::string, TaskAddress> addresses;
  for (const Instance& i : instances_) {
    if (i.index == 0 && !i.agent.hostname.empty()) {
      addresses[i.task->name] = {i.agent.hostname, i.ports};
    }
  }

  for (const AcceptPlan& accept : match.accepts) {
    Call call = NewCall(Call::ACCEPT);
    Call::Accept* a = call.mutable_accept();
    for (const v1::OfferID& id : accept.offer_ids) *a->add_offer_ids() = id;
    v1::Offer::Operation* op = a->add_operations();
    op->set_type(v1::Offer::Operation::LAUNCH);
    for (const InstanceLaunch& launch : accept.launches) {
      Instance* i = nullptr;
      for (Instance* w : waiting_instances) {
        if (w->task == launch.instance.task && w->index == launch.instance.index) i = w;
      }
      if (!i) continue;
      *op->mutable_launch()->add_task_infos() =
          Launch(*i, launch, accept.agent_id, addresses, now, out);
    }
    a->mutable_filters()->set_refuse_seconds(AnyWaiting() ? options_.decline_seconds
                                                          : options_.decline_idle_seconds);
    out.calls.push_back(std::move(call));
  }

  if (!match.unused.empty()) {
    Call call = NewCall(Call::DECLINE);
    call.mutable_decline()->mutable_offer_ids()->Reserve(static_cast<int>(match.unused.size()));
    for (v1::OfferID& id : match.unused) *call.mutable_decline()->add_offer_ids() = std::move(id);
    call.mutable_decline()->mutable_filters()->set_refuse_seconds(
        AnyWaiting() ? options_.decline_seconds : options_.decline_idle_seconds);
    out.calls.push_back(std::move(call));
  }

  RememberMisses(waiting_instances, match, now, out);
  AdjustOffers(out);
  return out;
}

v1::TaskInfo SchedulerCore::Launch(Instance& i, const InstanceLaunch& launch,
                                   const std::string& agent_id,
                                   const std::map<std::string, TaskAddress>& addresses,
                                   SteadyMillis now, Output& out) {
  SetTaskId(i, Name(i) + "." + options_.new_uuid());
  i.agent_id = agent_id;
  i.agent = launch.agent;
  i.ports = launch.ports;
  i.healthy = false;
  i.healthy_since = -1;
  i.announced = false;
  i.last_failure.clear();
  InstanceContext context{i.task_id, framework_id_, addresses, options_.secrets};
  v1::TaskInfo task = Instantiate(*i.task, launch, context);
  std::string ports;
  for (const auto& [name, number] : launch.ports) {
    ports += (ports.empty() ? " " : ",") + name + "=" + std::to_string(number);
  }
  std::string attempt = i.attempt.empty() ? "" : " (" + i.attempt + ")";
  i.attempt.clear();
  Enter(i, InstanceState::kLaunched, now, out,
        "LAUNCHED on " + launch.agent.hostname + ports + attempt);
  out.SaveAtLeast(Output::Save::kBeforeCalls);
  return task;
}

void SchedulerCore::RememberMisses(const std::vector<Instance*>& waiting, const MatchOutcome& match,
                                   SteadyMillis now, Output& out) {
  for (Instance* i : waiting) {
    if (i->state != InstanceState::kWaiting) continue;
    auto misses = match.misses.find(Name(*i));
    if (misses == match.misses.end()) continue;
    // One offer here is one agent's offers (of one role) in this event.
    std::map<std::string, bool> agents;
    for (const Miss& m : misses->second) {
      agents[m.hostname] = true;
      i->miss_counts[m.kind]++;
      if (m.kind == Miss::Kind::kConstraint || m.kind == Miss::Kind::kRole) {
        Instance::RuleMisses& rule = i->constraint_misses[m.rule.empty() ? m.detail : m.rule];
        if (rule.count++ == 0) {
          rule.detail = m.detail;
        } else if (rule.detail != m.detail) {
          rule.same_detail = false;
        }
      }
      auto best = i->best_miss.find(m.kind);
      if (best == i->best_miss.end() || m.offered > best->second.offered) i->best_miss[m.kind] = m;
    }
    i->offers_seen += static_cast<int>(agents.size());
    if (now - i->reported_at >= options_.waiting_report_every) ReportWaiting(*i, now, out, false);
  }
}

void SchedulerCore::ReportWaiting(Instance& i, SteadyMillis now, Output& out, bool final) {
  std::string text = "waiting " + Seconds(now - i.since) + ": ";
  if (i.offers_seen == 0) {
    text += "no offers yet";
  } else {
    text += std::to_string(i.offers_seen) + " offer" + (i.offers_seen == 1 ? "" : "s") + ":";
    bool first = true;
    for (const auto& [kind, count] : i.miss_counts) {
      if (kind == Miss::Kind::kConstraint || kind == Miss::Kind::kRole) continue;
      const Miss& best = i.best_miss[kind];
      text += std::string(first ? " " : ", ") + std::to_string(count) + " short on " +
              MissKindName(kind);
      if (kind == Miss::Kind::kPorts) {
        text += " (" + best.detail + ")";
      } else {
        text += " (best " + Amount(kind, best.offered) + " < " + Amount(kind, best.needed) +
                " incl. executor)";
      }
      first = false;
    }
    // By constraint: hostname UNIQUE failing on 3 agents is one entry,
    // with what each agent said when they all said the same.
    for (const auto& [rule, misses] : i.constraint_misses) {
      text += std::string(first ? " " : ", ") + std::to_string(misses.count) + " failed " +
              (misses.same_detail ? misses.detail : rule);
      first = false;
    }
  }
  if (final) text = "not placed: " + text;
  out.view.push_back({ViewEvent::Kind::kWaiting, Name(i), text});
  i.reported_at = now;
  i.offers_seen = 0;
  i.miss_counts.clear();
  i.best_miss.clear();
  i.constraint_misses.clear();
}

Call SchedulerCore::ReconcileUnanswered() const {
  Call reconcile = NewCall(Call::RECONCILE);
  reconcile.mutable_reconcile();
  for (const auto& [task_id, agent_id] : unanswered_) {
    Call::Reconcile::Task* t = reconcile.mutable_reconcile()->add_tasks();
    t->mutable_task_id()->set_value(task_id);
    if (!agent_id.empty()) t->mutable_agent_id()->set_value(agent_id);
  }
  return reconcile;
}

Call SchedulerCore::KillCall(const Instance& i) const {
  Call kill = NewCall(Call::KILL);
  kill.mutable_kill()->mutable_task_id()->set_value(i.task_id);
  kill.mutable_kill()->mutable_agent_id()->set_value(i.agent_id);
  *kill.mutable_kill()->mutable_kill_policy() = i.task->task_info.kill_policy();
  return kill;
}

Output SchedulerCore::Update(const v1::TaskStatus& status, SteadyMillis now) {
  Output out;
  const std::string& task_id = status.task_id().value();
  unanswered_.erase(task_id);
  Instance* i = FindByTaskId(task_id);

  if (!i) {
    // Not (or no longer) one of ours: a task from an earlier instance, or
    // from before a restart. Stop it if it still runs.
    if (!IsTerminal(status.state()) && !finished_) {
      Call kill = NewCall(Call::KILL);
      kill.mutable_kill()->mutable_task_id()->set_value(task_id);
      if (status.has_agent_id()) *kill.mutable_kill()->mutable_agent_id() = status.agent_id();
      out.calls.push_back(kill);
    }
  } else {
    // Reconciliation says a task we are killing still runs: the KILL was
    // lost (sent while the master was away, or to a master that failed
    // over). Send it again.
    if (i->state == InstanceState::kKilling && !IsTerminal(status.state()) &&
        status.state() != v1::TASK_KILLING &&
        status.reason() == v1::TaskStatus::REASON_RECONCILIATION) {
      out.calls.push_back(KillCall(*i));
    }
    switch (status.state()) {
      case v1::TASK_STAGING:
      case v1::TASK_STARTING:
        break;
      case v1::TASK_RUNNING: {
        bool health_checked = i->task->spec.health_check.has_value();
        if (i->state == InstanceState::kLaunched) {
          // No health in the update: unhealthy until a check says so, or,
          // for a task adopted after a failover, as it was last heard of.
          bool was = i->healthy;
          i->healthy = status.has_healthy() ? status.healthy() : (!health_checked || i->healthy);
          if (i->healthy) i->healthy_since = now;
          if (was != i->healthy) out.SaveAtLeast(Output::Save::kSoon);
          std::string note = "RUNNING on " + Where(*i);
          if (status.has_healthy()) note += i->healthy ? ", healthy" : ", unhealthy";
          Enter(*i, InstanceState::kRunning, now, out, note);
        } else if (i->state == InstanceState::kRunning && status.has_healthy() &&
                   status.healthy() != i->healthy) {
          i->healthy = status.healthy();
          if (i->healthy) {
            i->healthy_since = now;
          } else {
            HealthyStretchEnds(*i, now);
          }
          out.SaveAtLeast(Output::Save::kSoon);
          std::string why = ReasonWords(status);
          out.view.push_back(
              {ViewEvent::Kind::kInstance, Name(*i),
               i->healthy ? "healthy" : "unhealthy" + (why.empty() ? "" : ": " + why)});
        }
        // Say where an HTTP service answers, once it does.
        if (i->state == InstanceState::kRunning && i->healthy && !i->announced &&
            i->task->service.has_http()) {
          auto port = i->ports.find(i->task->service.http().port_name());
          if (port != i->ports.end() && !i->agent.hostname.empty()) {
            out.view.push_back(
                {ViewEvent::Kind::kServing, Name(*i),
                 "http://" + i->agent.hostname + ":" + std::to_string(port->second) + "/", true});
            i->announced = true;
          }
        }
        break;
      }
      case v1::TASK_KILLING:
        if (i->state != InstanceState::kKilling) {
          Enter(*i, InstanceState::kKilling, now, out, "KILLING");
        }
        break;
      default:
        if (IsTerminal(status.state()) && HasLiveTask(i->state)) {
          Ended(*i, status, now, out);
        }
        break;
    }
  }

  // Acknowledge once recorded (above), before the calls it led to: after a
  // TEARDOWN the master would refuse it. Only updates with a uuid want it.
  if (status.has_uuid()) {
    Call ack = NewCall(Call::ACKNOWLEDGE);
    Call::Acknowledge* a = ack.mutable_acknowledge();
    a->mutable_agent_id()->set_value(status.has_agent_id() ? status.agent_id().value()
                                                           : (i ? i->agent_id : ""));
    a->mutable_task_id()->set_value(task_id);
    a->set_uuid(status.uuid());
    out.calls.insert(out.calls.begin(), ack);
  }
  Unblock(now, out);
  AdjustOffers(out);
  return out;
}

void SchedulerCore::Ended(Instance& i, const v1::TaskStatus& status, SteadyMillis now,
                          Output& out) {
  HealthyStretchEnds(i, now);
  std::string reason = i.executor_cause.empty() ? ReasonWords(status) : i.executor_cause;
  std::string note = StateWord(status.state()) + (reason.empty() ? "" : " (" + reason + ")");
  if (stopping_) {
    Enter(i, InstanceState::kDone, now, out, note);
    if (AllEnded()) Finish(exit_code_after_stop_, now, out);
    return;
  }
  bool success = status.state() == v1::TASK_FINISHED;
  ran_any_ = ran_any_ || success;
  spec::RestartPolicy policy = PolicyOf(*i.task);
  // A kill we started (staging timeout) keeps its own reason.
  if (i.state != InstanceState::kKilling || i.last_failure.empty()) {
    i.last_failure = success ? "finished" : note;
  }
  if (status.state() == v1::TASK_ERROR || !i.executor_cause.empty()) {
    // Mesos refused the task itself, or the agent the executor's bytes:
    // launching it again would fail again.
    Enter(i, InstanceState::kGaveUp, now, out, note);
    Finish(kExitTaskFailed, now, out);
  } else if (success && policy != spec::RestartPolicy::kAlways) {
    Enter(i, InstanceState::kDone, now, out, note);
    if (AllEnded()) Finish(kExitOk, now, out);
  } else if (!success && policy == spec::RestartPolicy::kNever) {
    Enter(i, InstanceState::kGaveUp, now, out, note + "; restart: never");
    Finish(kExitTaskFailed, now, out);
  } else {
    out.view.push_back({ViewEvent::Kind::kInstance, Name(i), note});
    Restart(i, now, out);
  }
}

void SchedulerCore::HealthyStretchEnds(Instance& i, SteadyMillis now) {
  if (i.healthy_since < 0) return;
  // A long enough healthy run forgives earlier failures.
  if (now - i.healthy_since >= i.task->spec.restart.reset_after.ms) i.failures = 0;
  i.healthy_since = -1;
}

void SchedulerCore::Restart(Instance& i, SteadyMillis now, Output& out) {
  const spec::Restart& policy = i.task->spec.restart;
  std::erase_if(i.restarts, [&](SteadyMillis t) { return now - t >= policy.window.ms; });
  if (policy.max_attempts > 0 && static_cast<int64_t>(i.restarts.size()) >= policy.max_attempts) {
    Enter(i, InstanceState::kGaveUp, now, out,
          "gave up: " + std::to_string(i.restarts.size()) + " restarts within " +
              spec::FormatDuration(policy.window) + " (last: " + i.last_failure + ")");
    Finish(kExitTaskFailed, now, out);
    return;
  }
  i.failures++;
  double delay = static_cast<double>(policy.backoff.initial.ms) *
                 std::pow(policy.backoff.factor, i.failures - 1);
  SteadyMillis wait =
      static_cast<SteadyMillis>(std::min(delay, static_cast<double>(policy.backoff.max.ms)));
  i.restarts.push_back(now);
  i.ended_task_id = i.task_id;
  SetTaskId(i, "");
  i.attempt = Attempt(i);
  Enter(i, InstanceState::kBackoff, now, out,
        "restarting in " + Seconds(wait) + " (" + i.attempt + ", last: " + i.last_failure + ")");
  i.ready_at = now + wait;
  i.reported_at = now;
}

void SchedulerCore::Finish(int code, SteadyMillis now, Output& out) {
  if (finished_) return;
  if (!stopping_) {
    stopping_ = true;
    exit_code_after_stop_ = code;
    SteadyMillis grace = 0;
    for (const Instance& i : instances_) grace = std::max(grace, i.task->spec.kill_grace_period.ms);
    stop_deadline_ = now + grace + options_.stop_wait;
    for (Instance& i : instances_) {
      if (!HasLiveTask(i.state)) continue;
      out.calls.push_back(KillCall(i));
      if (i.state != InstanceState::kKilling)
        Enter(i, InstanceState::kKilling, now, out, "killing");
    }
  }
  if (!AllEnded() && now < stop_deadline_) return;
  if (!AllEnded()) {
    int waiting = 0;
    for (const Instance& i : instances_) {
      waiting += HasLiveTask(i.state);
    }
    out.view.push_back({ViewEvent::Kind::kNote, "",
                        "no end reported for " + std::to_string(waiting) +
                            " task(s); tearing down, which makes Mesos kill them"});
  }
  if (!framework_id_.empty()) out.calls.push_back(NewCall(Call::TEARDOWN));
  finished_ = true;
  out.exit_code = exit_code_after_stop_;
}

Output SchedulerCore::Tick(SteadyMillis now) {
  Output out;
  if (finished_) return out;
  if (stopping_) {
    Finish(exit_code_after_stop_, now, out);
    return out;
  }
  for (Instance& i : instances_) {
    switch (i.state) {
      case InstanceState::kBackoff:
        if (now >= i.ready_at) {
          Enter(i, DependenciesMet(i) ? InstanceState::kWaiting : InstanceState::kBlocked, now,
                out);
        } else if (now - i.reported_at >= options_.waiting_report_every) {
          // The countdown, in whole seconds (rounded up: never "in 0s").
          SteadyMillis left = (i.ready_at - now + 999) / 1000 * 1000;
          out.view.push_back({ViewEvent::Kind::kWaiting, Name(i),
                              "restarting in " + Seconds(left) + " (" + i.attempt + ")"});
          i.reported_at = now;
        }
        break;
      case InstanceState::kLaunched:
        if (now - i.since >= i.task->spec.staging_timeout.ms) {
          out.calls.push_back(KillCall(i));
          i.last_failure = "not running after " +
                           spec::FormatDuration(i.task->spec.staging_timeout) +
                           " (staging timeout)";
          Enter(i, InstanceState::kKilling, now, out, i.last_failure + "; killing");
        }
        break;
      case InstanceState::kWaiting:
        if (plan_.placement_timeout.ms > 0 && now - i.since >= plan_.placement_timeout.ms) {
          ReportWaiting(i, now, out, true);
          Finish(kExitPlacementTimeout, now, out);
          return out;
        }
        if (now - i.reported_at >= options_.waiting_report_every) ReportWaiting(i, now, out, false);
        break;
      default:
        break;
    }
  }
  if (!unanswered_.empty() && now >= reconcile_retry_at_) {
    out.calls.push_back(ReconcileUnanswered());
    reconcile_backoff_ = std::min(reconcile_backoff_ * 2, options_.reconcile_retry_max);
    reconcile_retry_at_ = now + reconcile_backoff_;
  }
  if (!framework_id_.empty() && now - reconciled_at_ >= options_.reconcile_every) {
    Call reconcile = NewCall(Call::RECONCILE);
    reconcile.mutable_reconcile();  // no tasks: implicit
    out.calls.push_back(reconcile);
    reconciled_at_ = now;
  }
  AdjustOffers(out);
  return out;
}

const SchedulerCore::Instance* SchedulerCore::RefusedExecutor(
    const v1::scheduler::Event::Failure& failure) const {
  if (!failure.has_executor_id() || !failure.has_status()) return nullptr;
  const int status = failure.status();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != kExecutorChecksumExit) return nullptr;
  // Our executors are named after their tasks (compile.cc).
  const std::string& id = failure.executor_id().value();
  for (const Instance& i : instances_) {
    if (i.task->executor_sha256.empty()) continue;
    if ((!i.task_id.empty() && i.task_id == id) ||
        (!i.ended_task_id.empty() && i.ended_task_id == id)) {
      return &i;
    }
  }
  return nullptr;
}

std::optional<SchedulerCore::SandboxFile> SchedulerCore::ExecutorStderr(
    const v1::scheduler::Event::Failure& failure) const {
  const Instance* i = RefusedExecutor(failure);
  if (!i || i->agent.url.empty() || framework_id_.empty()) return std::nullopt;
  return SandboxFile{i->agent.url, "/frameworks/" + framework_id_ + "/executors/" +
                                       failure.executor_id().value() + "/runs/latest/stderr"};
}

namespace {

// G of the last "executor checksum mismatch (expected E, got G)" the agent's
// check wrote (VerifyThenExec): 64 hex digits, or "no readable file".
std::optional<std::string> DigestTheAgentFound(std::string_view stderr_text) {
  constexpr std::string_view kStart = "executor checksum mismatch (expected ";
  constexpr std::string_view kGot = ", got ";
  constexpr std::string_view kNoFile = "no readable file";
  for (std::size_t at = stderr_text.rfind(kStart); at != std::string_view::npos;
       at = at == 0 ? std::string_view::npos : stderr_text.rfind(kStart, at - 1)) {
    std::string_view rest = stderr_text.substr(at + kStart.size());
    if (rest.size() < 64 || !IsSha256Hex(rest.substr(0, 64))) continue;
    rest = rest.substr(64);
    if (rest.substr(0, kGot.size()) != kGot) continue;
    rest = rest.substr(kGot.size());
    if (rest.size() > 64 && IsSha256Hex(rest.substr(0, 64)) && rest[64] == ')') {
      return std::string(rest.substr(0, 64));
    }
    if (rest.substr(0, kNoFile.size() + 1) == std::string(kNoFile) + ")") {
      return std::string(kNoFile);
    }
  }
  return std::nullopt;
}

}  // namespace

Output SchedulerCore::Failure(const v1::scheduler::Event::Failure& failure,
                              std::string_view executor_stderr, SteadyMillis now) {
  Output out;
  const Instance* refused = RefusedExecutor(failure);
  if (!refused) return out;
  Instance& i = instances_[static_cast<size_t>(refused - instances_.data())];
  const bool current = i.task_id == failure.executor_id().value();
  // Too late to matter: the instance was launched again since.
  if (!current && !i.task_id.empty()) return out;
  const std::string got =
      DigestTheAgentFound(executor_stderr)
          .value_or("other bytes: the executor's stderr on the agent names their sha256");
  if (executor_stderr.find(kNoSha256sum) != std::string_view::npos) {
    i.executor_cause = "executor checksum cannot be checked: the agent has no sha256sum";
  } else {
    i.executor_cause =
        "executor checksum mismatch (expected " + i.task->executor_sha256 + ", got " + got + ")";
  }
  // Its terminal update is still to come: Ended() gives the cause.
  if (current) return out;
  if ((i.state == InstanceState::kBackoff || i.state == InstanceState::kWaiting) && !stopping_) {
    i.last_failure = "FAILED (" + i.executor_cause + ")";
    Enter(i, InstanceState::kGaveUp, now, out, i.last_failure);
    Finish(kExitTaskFailed, now, out);
  }
  return out;
}

Output SchedulerCore::Stop(SteadyMillis now) {
  Output out;
  if (finished_) return out;
  if (stopping_) {
    // Asked twice: tear down now; Mesos kills what is left.
    stop_deadline_ = now;
    Finish(exit_code_after_stop_, now, out);
    return out;
  }
  out.view.push_back({ViewEvent::Kind::kNote, "",
                      "stopping: killing every task (stop again to tear down at once)"});
  if (!ran_any_) {
    std::string last;
    for (const Instance& i : instances_) {
      if (!i.last_failure.empty()) last = Name(i) + " " + i.last_failure;
    }
    out.view.push_back({ViewEvent::Kind::kNote, "",
                        "no instance ever ran" + (last.empty() ? "" : " (last: " + last + ")")});
  }
  Finish(ran_any_ ? kExitOk : kExitStoppedEarly, now, out);
  return out;
}

}  // namespace mlaunch

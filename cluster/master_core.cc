#include "cluster/master_core.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <utility>

#include "common/random_ids.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::ExecutorInfo;
using mesos::v1::FrameworkInfo;
using mesos::v1::TaskInfo;
using mesos::v1::TaskState;
using mesos::v1::TaskStatus;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;

bool HasCapability(const FrameworkInfo& info, mesos::v1::FrameworkInfo::Capability::Type type) {
  return std::any_of(info.capabilities().begin(), info.capabilities().end(),
                     [&](const auto& c) { return c.type() == type; });
}

bool MultiRole(const FrameworkInfo& info) {
  return HasCapability(info, FrameworkInfo::Capability::MULTI_ROLE);
}

bool PartitionAware(const FrameworkInfo& info) {
  return HasCapability(info, FrameworkInfo::Capability::PARTITION_AWARE);
}

std::vector<std::string> RolesOf(const FrameworkInfo& info) {
  if (MultiRole(info)) return {info.roles().begin(), info.roles().end()};
  return {info.role()};
}

std::string SuppressedRoleNotOwn(const std::string& role) {
  return "suppressed role '" + role + "' is not one of the framework's roles";
}

void InjectAllocation(google::protobuf::RepeatedPtrField<mesos::v1::Resource>* resources,
                      const std::string& role) {
  for (mesos::v1::Resource& r : *resources) {
    if (!r.has_allocation_info()) r.mutable_allocation_info()->set_role(role);
  }
}

}  // namespace

bool IsTerminal(TaskState state) {
  switch (state) {
    case mesos::v1::TASK_FINISHED:
    case mesos::v1::TASK_FAILED:
    case mesos::v1::TASK_KILLED:
    case mesos::v1::TASK_ERROR:
    case mesos::v1::TASK_LOST:
    case mesos::v1::TASK_DROPPED:
    case mesos::v1::TASK_GONE:
    case mesos::v1::TASK_GONE_BY_OPERATOR:
      return true;
    default:
      return false;
  }
}

MasterCore::MasterCore(MasterOptions options) : options_(std::move(options)) {}

mesos::v1::MasterInfo MasterCore::master_info() const {
  mesos::v1::MasterInfo info;
  info.set_id(options_.master_id);
  unsigned a = 0, b = 0, c = 0, d = 0;
  std::sscanf(options_.ip.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
  // The deprecated packed address is in network byte order, read as a
  // little-endian integer (what Mesos does on x86).
  info.set_ip(a | (b << 8) | (c << 16) | (d << 24));
  info.set_port(static_cast<std::uint32_t>(options_.port));
  info.set_pid("master@" + options_.ip + ":" + std::to_string(options_.port));
  info.set_hostname(options_.hostname);
  info.set_version(options_.version);
  info.mutable_address()->set_hostname(options_.hostname);
  info.mutable_address()->set_ip(options_.ip);
  info.mutable_address()->set_port(options_.port);
  info.add_capabilities()->set_type(mesos::v1::MasterInfo::Capability::AGENT_UPDATE);
  return info;
}

std::string MasterCore::NextFrameworkId() {
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%04d", next_framework_++);
  return options_.master_id + suffix;
}

std::string MasterCore::NewStreamId() { return UuidText(options_.new_uuid()); }

std::string MasterCore::AddAgent(mesos::v1::AgentInfo info, std::string ip,
                                 AgentCapabilities capabilities) {
  const std::string id = options_.master_id + "-S" + std::to_string(next_agent_++);
  info.mutable_id()->set_value(id);
  Agent agent;
  agent.capabilities = capabilities;
  agent.total = Resources(info.resources());
  agent.ip = std::move(ip);
  agent.info = std::move(info);
  agents_.emplace(id, std::move(agent));
  allocation_wanted_ = true;
  return id;
}

MasterOutput MasterCore::ReregisterAgent(mesos::v1::AgentInfo info, std::string ip,
                                         const std::vector<RecoveredExecutor>& executors) {
  MasterOutput out;
  const std::string agent_id = info.id().value();
  Agent agent;
  agent.total = Resources(info.resources());
  agent.ip = std::move(ip);
  agent.info = std::move(info);
  agents_[agent_id] = std::move(agent);
  allocation_wanted_ = true;
  for (const RecoveredExecutor& recovered : executors) {
    const std::string framework_id = recovered.framework.id().value();
    if (completed_frameworks_.count(framework_id) > 0) {
      out.agent_requests.push_back(
          ShutdownExecutor{agent_id, framework_id, recovered.executor.executor_id()});
      continue;
    }
    auto [it, added] = frameworks_.try_emplace(framework_id);
    Framework& framework = it->second;
    if (added) framework.info = recovered.framework;  // disconnected, no timer
    // A command task's executor is the agent's own: the master never knew it.
    const bool command_executor =
        std::any_of(recovered.tasks.begin(), recovered.tasks.end(),
                    [](const TaskView& view) { return view.info.has_command(); });
    if (!command_executor) {
      framework.executors[agent_id][recovered.executor.executor_id().value()] = {
          recovered.executor, Resources(recovered.executor.resources())};
    }
    for (const TaskView& view : recovered.tasks) {
      if (IsTerminal(view.state)) continue;
      const std::string task_id = view.info.task_id().value();
      if (framework.tasks.count(task_id) > 0) continue;
      Task task;
      task.info = view.info;
      task.agent_id = agent_id;
      task.state = view.state;
      framework.tasks.emplace(task_id, std::move(task));
    }
  }
  return out;
}

std::vector<std::string> MasterCore::Roles(const Framework& framework) const {
  return RolesOf(framework.info);
}

void MasterCore::Send(Framework& framework, Event event, MasterOutput* out) const {
  if (!framework.connected) return;  // dropped, as Mesos does
  out->events.push_back({framework.stream_id, std::move(event)});
}

Event MasterCore::UpdateEvent(const TaskStatus& status) const {
  Event event;
  event.set_type(Event::UPDATE);
  *event.mutable_update()->mutable_status() = status;
  return event;
}

void MasterCore::SendUpdate(Framework& framework, const TaskStatus& status,
                            MasterOutput* out) const {
  Send(framework, UpdateEvent(status), out);
}

TaskStatus MasterCore::MasterStatus(const std::string& framework_id,
                                    const mesos::v1::TaskID& task_id, const std::string& agent_id,
                                    TaskState state, TaskStatus::Reason reason,
                                    const std::string& message, UnixMillis now) const {
  (void)framework_id;
  TaskStatus status;
  *status.mutable_task_id() = task_id;
  status.set_state(state);
  status.set_source(TaskStatus::SOURCE_MASTER);
  status.set_reason(reason);
  status.set_message(message);
  if (!agent_id.empty()) status.mutable_agent_id()->set_value(agent_id);
  status.set_timestamp(static_cast<double>(now) / 1000.0);
  return status;
}

MasterCore::Subscription MasterCore::Subscribe(const Call& call,
                                               const std::optional<std::string>& principal,
                                               UnixMillis now) {
  Subscription sub;
  sub.stream_id = NewStreamId();
  MasterOutput& out = sub.output;
  auto refuse = [&](const std::string& message) {
    Event event;
    event.set_type(Event::ERROR);
    event.mutable_error()->set_message(message);
    out.events.push_back({sub.stream_id, event});
    out.close_streams.push_back(sub.stream_id);
    return sub;
  };

  FrameworkInfo info = call.subscribe().framework_info();
  if (principal && !info.has_principal()) info.set_principal(*principal);
  if (auto broken = CheckFrameworkInfo(info)) return refuse(broken->message);
  const std::vector<std::string> roles = RolesOf(info);
  for (const std::string& role : call.subscribe().suppressed_roles()) {
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
      return refuse(SuppressedRoleNotOwn(role));
    }
  }

  Framework* framework = nullptr;
  if (info.has_id() && info.id().value().empty()) info.clear_id();  // a new framework
  if (info.has_id()) {
    const std::string id = info.id().value();
    // Mesos checks a re-subscribing framework's id as any other id.
    if (auto problem = IdProblem(id)) return refuse("the framework id " + *problem);
    if (completed_frameworks_.count(id) > 0) {
      // Mesos' words, kept: clients match on them to stop re-subscribing
      // (our driver, launcher/driver.cc; Marathon; the Jenkins plugin).
      return refuse("Framework has been removed");
    }
    auto it = frameworks_.find(id);
    if (it != frameworks_.end()) {
      Framework& known = it->second;
      if (known.info.has_principal() != info.has_principal() ||
          known.info.principal() != info.principal()) {
        return refuse("a re-subscribing framework may not change its principal");
      }
      // user and checkpoint cannot change; Mesos keeps the old values.
      info.set_user(known.info.user());
      info.set_checkpoint(known.info.checkpoint());
      if (known.connected) {
        Event failed_over;
        failed_over.set_type(Event::ERROR);
        failed_over.mutable_error()->set_message(
            "another scheduler subscribed as this framework; this one is replaced");
        out.events.push_back({known.stream_id, failed_over});
        out.close_streams.push_back(known.stream_id);
      }
      DiscardOffers(id);
      for (const std::string& role : Roles(known)) {
        if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
          filters_.ClearRole(id, role);
        }
      }
      known.info = info;
      framework = &known;
    } else {
      framework = &frameworks_[id];  // known before a master restart
      framework->info = info;
    }
  } else {
    info.mutable_id()->set_value(NextFrameworkId());
    framework = &frameworks_[info.id().value()];
    framework->info = info;
  }

  framework->connected = true;
  framework->stream_id = sub.stream_id;
  framework->failover_deadline.reset();
  framework->suppressed_roles = {call.subscribe().suppressed_roles().begin(),
                                 call.subscribe().suppressed_roles().end()};
  framework->next_heartbeat = now + options_.heartbeat_interval;

  Event subscribed;
  subscribed.set_type(Event::SUBSCRIBED);
  *subscribed.mutable_subscribed()->mutable_framework_id() = info.id();
  subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(
      static_cast<double>(options_.heartbeat_interval) / 1000.0);
  *subscribed.mutable_subscribed()->mutable_master_info() = master_info();
  out.events.push_back({sub.stream_id, subscribed});
  Event heartbeat;
  heartbeat.set_type(Event::HEARTBEAT);
  out.events.push_back({sub.stream_id, heartbeat});

  for (auto& [task_id, task] : framework->tasks) {
    if (!task.pending.empty()) ForwardHead(*framework, task, now, &out);
  }
  allocation_wanted_ = true;
  return sub;
}

std::optional<CallRejection> MasterCore::CheckCaller(
    const Call& call, const std::optional<std::string>& principal,
    const std::optional<std::string>& stream_id) const {
  auto it = frameworks_.find(call.framework_id().value());
  const std::string& id = call.framework_id().value();
  if (it == frameworks_.end()) {
    return CallRejection{400, "this master knows no framework " + id + "; SUBSCRIBE first"};
  }
  const Framework& framework = it->second;
  if (principal && *principal != framework.info.principal()) {
    return CallRejection{400, "you authenticated as '" + *principal + "' but framework " + id +
                                  " belongs to principal '" + framework.info.principal() + "'"};
  }
  if (!framework.connected) {
    return CallRejection{403, "framework " + id + " has no open subscription; SUBSCRIBE first"};
  }
  if (!stream_id) {
    return CallRejection{400,
                         "calls other than SUBSCRIBE carry the Mesos-Stream-Id header "
                         "their SUBSCRIBE's response gave"};
  }
  if (*stream_id != framework.stream_id) {
    return CallRejection{400, "Mesos-Stream-Id '" + *stream_id +
                                  "' is not the stream of framework " + id +
                                  " (it subscribed again since?)"};
  }
  return std::nullopt;
}

MasterOutput MasterCore::Handle(const Call& call, UnixMillis now) {
  MasterOutput out;
  auto it = frameworks_.find(call.framework_id().value());
  if (it == frameworks_.end()) return out;
  Framework& framework = it->second;
  switch (call.type()) {
    case Call::TEARDOWN:
      RemoveFramework(framework, now, &out);
      break;
    case Call::ACCEPT:
      Accept(framework, call.accept(), now, &out);
      break;
    case Call::DECLINE:
      Decline(framework, call.decline(), now);
      break;
    case Call::REVIVE:
    case Call::SUPPRESS: {
      const bool revive = call.type() == Call::REVIVE;
      const auto& listed = revive ? call.revive().roles() : call.suppress().roles();
      const std::vector<std::string> roles = Roles(framework);
      std::vector<std::string> chosen(listed.begin(), listed.end());
      if (chosen.empty()) chosen = roles;
      for (const std::string& role : chosen) {
        // The framework's roles were checked at SUBSCRIBE: one of them is valid.
        if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
          return out;  // the whole call is dropped
        }
      }
      for (const std::string& role : chosen) {
        if (revive) {
          framework.suppressed_roles.erase(role);
          filters_.ClearRole(framework.info.id().value(), role);
        } else {
          framework.suppressed_roles.insert(role);
        }
      }
      if (revive) allocation_wanted_ = true;
      break;
    }
    case Call::KILL:
      Kill(framework, call.kill(), now, &out);
      break;
    case Call::SHUTDOWN:
      if (agents_.count(call.shutdown().agent_id().value()) > 0) {
        out.agent_requests.push_back(ShutdownExecutor{call.shutdown().agent_id().value(),
                                                      framework.info.id().value(),
                                                      call.shutdown().executor_id()});
      }
      break;
    case Call::ACKNOWLEDGE:
      Acknowledge(framework, call.acknowledge(), now, &out);
      break;
    case Call::RECONCILE:
      Reconcile(framework, call.reconcile(), now, &out);
      break;
    case Call::MESSAGE:
      if (agents_.count(call.message().agent_id().value()) > 0) {
        out.agent_requests.push_back(
            FrameworkToExecutor{call.message().agent_id().value(), framework.info.id().value(),
                                call.message().executor_id(), call.message().data()});
      }
      break;
    default:  // REQUEST, inverse offers, operation feedback: nothing to do
      break;
  }
  return out;
}

void MasterCore::RememberGoneAgent(const std::string& agent_id) { gone_agents_.insert(agent_id); }

MasterCore::Update MasterCore::UpdateFramework(const Call& call) {
  Update update;
  auto refuse = [&](std::string why) {
    update.status = 400;
    update.body = std::move(why);
    return update;
  };
  auto it = frameworks_.find(call.framework_id().value());
  if (it == frameworks_.end()) {
    return refuse("this master knows no framework " + call.framework_id().value());
  }
  Framework& framework = it->second;
  const FrameworkInfo& info = call.update_framework().framework_info();
  const FrameworkInfo& known = framework.info;
  if (info.has_principal() != known.has_principal() || info.principal() != known.principal()) {
    return refuse("UPDATE_FRAMEWORK cannot change FrameworkInfo.principal (it is '" +
                  known.principal() + "')");
  }
  if (info.user() != known.user()) {
    return refuse("UPDATE_FRAMEWORK cannot change FrameworkInfo.user (it is '" + known.user() +
                  "')");
  }
  if (info.checkpoint() != known.checkpoint()) {
    return refuse(std::string("UPDATE_FRAMEWORK cannot change FrameworkInfo.checkpoint (it is ") +
                  (known.checkpoint() ? "true" : "false") + ")");
  }
  if (auto broken = CheckFrameworkInfo(info)) return refuse(broken->message);
  const std::vector<std::string> roles = RolesOf(info);
  for (const std::string& role : call.update_framework().suppressed_roles()) {
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
      return refuse(SuppressedRoleNotOwn(role));
    }
  }

  const std::string id = known.id().value();
  for (const std::string& role : Roles(framework)) {
    if (std::find(roles.begin(), roles.end(), role) != roles.end()) continue;
    filters_.ClearRole(id, role);
    for (auto offer = offers_.begin(); offer != offers_.end();) {
      if (offer->second.offer.framework_id().value() != id || offer->second.role != role) {
        ++offer;
        continue;
      }
      Event rescind;
      rescind.set_type(Event::RESCIND);
      *rescind.mutable_rescind()->mutable_offer_id() = offer->second.offer.id();
      Send(framework, std::move(rescind), &update.output);
      offer = offers_.erase(offer);
    }
  }
  framework.info = info;
  framework.suppressed_roles = {call.update_framework().suppressed_roles().begin(),
                                call.update_framework().suppressed_roles().end()};
  allocation_wanted_ = true;
  return update;
}

void MasterCore::DiscardOffers(const std::string& framework_id) {
  std::erase_if(offers_, [&](const auto& entry) {
    return entry.second.offer.framework_id().value() == framework_id;
  });
}

void MasterCore::RemoveFramework(Framework& framework, UnixMillis now, MasterOutput* out) {
  const std::string id = framework.info.id().value();
  DiscardOffers(id);
  filters_.ClearFramework(id);
  for (const auto& [agent_id, agent] : agents_) {
    out->agent_requests.push_back(ShutdownFramework{agent_id, id});
  }
  if (framework.connected) out->close_streams.push_back(framework.stream_id);
  framework.connected = false;
  for (auto& [task_id, task] : framework.tasks) {
    if (!IsTerminal(task.state)) {
      // Nobody is left to tell; the status is kept as the task's newest.
      task.state = mesos::v1::TASK_KILLED;
      task.latest = MasterStatus(id, task.info.task_id(), task.agent_id, task.state,
                                 TaskStatus::REASON_FRAMEWORK_REMOVED,
                                 "the framework was removed, so its tasks were killed", now);
    }
    task.pending.clear();
    Complete(framework, std::move(task));
  }
  framework.tasks.clear();
  framework.retries.clear();
  framework.executors.clear();
  completed_frameworks_[id] = std::move(framework);
  completed_order_.push_back(id);
  frameworks_.erase(id);
  while (completed_order_.size() > options_.max_completed_frameworks) {
    completed_frameworks_.erase(completed_order_.front());
    completed_order_.pop_front();
  }
}

void MasterCore::Complete(Framework& framework, Task task) {
  ++completed_counts_[task.state];
  framework.completed_tasks.push_back(std::move(task));
  while (framework.completed_tasks.size() > options_.max_completed_tasks_per_framework) {
    framework.completed_tasks.pop_front();
  }
}

MasterOutput MasterCore::StreamClosed(const std::string& stream_id, UnixMillis now) {
  MasterOutput out;
  for (auto& [id, framework] : frameworks_) {
    if (!framework.connected || framework.stream_id != stream_id) continue;
    framework.connected = false;
    DiscardOffers(id);
    double seconds = framework.info.failover_timeout();
    if (seconds <= 0) {
      RemoveFramework(framework, now, &out);
    } else {
      framework.failover_deadline = now + static_cast<UnixMillis>(std::llround(seconds * 1000.0));
    }
    break;
  }
  return out;
}

void MasterCore::Refuse(const std::string& framework_id, const std::string& role,
                        const std::string& agent_id, const Resources& resources,
                        std::optional<double> refuse_seconds, UnixMillis now) {
  const std::optional<UnixMillis> duration =
      RefusalDuration(refuse_seconds, options_.allocation_interval);
  if (!duration || resources.empty()) return;
  filters_.Add(framework_id, role, agent_id, resources, now + *duration);
}

void MasterCore::Decline(Framework& framework, const Call::Decline& decline, UnixMillis now) {
  for (const auto& offer_id : decline.offer_ids()) {
    auto it = offers_.find(offer_id.value());
    if (it == offers_.end() ||
        it->second.offer.framework_id().value() != framework.info.id().value()) {
      continue;  // stale or foreign: ignored
    }
    Refuse(framework.info.id().value(), it->second.role, it->second.offer.agent_id().value(),
           Resources(it->second.offer.resources()), decline.filters().refuse_seconds(), now);
    offers_.erase(it);
  }
}

// One ACCEPT of valid offers, while its operations are carried out: what
// is left of the offers, and where the tasks go.
struct MasterCore::Acceptance {
  Framework& framework;
  std::string framework_id;
  std::string agent_id;
  std::string role;
  Resources offered;  // what the operations so far left
  bool takes_limits;  // the agent takes task resource limits
  UnixMillis now;
  MasterOutput* out;

  // The executor with this id the framework already runs on the agent.
  const ExecutorInfo* RunningExecutor(const std::string& executor_id) const {
    auto on_agent = framework.executors.find(agent_id);
    if (on_agent == framework.executors.end()) return nullptr;
    auto known = on_agent->second.find(executor_id);
    return known == on_agent->second.end() ? nullptr : &known->second.info;
  }
  Verdict Fits(const Resources& needed) const {
    if (offered.Contains(needed)) return std::nullopt;
    return BrokenRule{"fits-offers", DoesNotFit(needed, offered)};
  }
  // The task as launched: its resources (and its executor's) allocated to
  // the offers' role, its executor's framework id filled in.
  TaskInfo Allocated(TaskInfo task) const {
    InjectAllocation(task.mutable_resources(), role);
    if (task.has_executor()) {
      InjectAllocation(task.mutable_executor()->mutable_resources(), role);
      if (!task.executor().has_framework_id()) {
        *task.mutable_executor()->mutable_framework_id() = framework.info.id();
      }
    }
    return task;
  }
  // The task on record, and its executor when new.
  void Add(const TaskInfo& task) {
    Task record;
    record.info = task;
    record.agent_id = agent_id;
    framework.tasks[task.task_id().value()] = std::move(record);
    if (!task.has_executor()) return;
    auto& executors = framework.executors[agent_id];
    if (executors.count(task.executor().executor_id().value()) == 0) {
      executors[task.executor().executor_id().value()] = {task.executor(),
                                                          Resources(task.executor().resources())};
    }
  }
};

void MasterCore::Accept(Framework& framework, const Call::Accept& accept, UnixMillis now,
                        MasterOutput* out) {
  const std::string framework_id = framework.info.id().value();
  std::map<std::string, std::pair<const mesos::v1::Offer*, std::string>> outstanding;
  for (const auto& offer_id : accept.offer_ids()) {
    auto it = offers_.find(offer_id.value());
    if (it != offers_.end()) outstanding[offer_id.value()] = {&it->second.offer, it->second.role};
  }
  if (Verdict broken = CheckOffers({accept, framework_id, outstanding})) {
    return RefuseInvalidOffers(framework, accept, broken->message, now, out);
  }
  const OutstandingOffer& first = offers_.at(accept.offer_ids(0).value());
  const std::string agent_id = first.offer.agent_id().value();
  auto agent = agents_.find(agent_id);
  Acceptance acceptance{
      framework,   framework_id,
      agent_id,    first.role,
      Resources(), agent != agents_.end() && agent->second.capabilities.task_resource_limits,
      now,         out};
  for (const auto& offer_id : accept.offer_ids()) {
    acceptance.offered.Add(Resources(offers_.at(offer_id.value()).offer.resources()));
    offers_.erase(offer_id.value());
  }
  for (const auto& operation : accept.operations()) {
    if (operation.type() == mesos::v1::Offer::Operation::LAUNCH) {
      for (const TaskInfo& task : operation.launch().task_infos()) Launch(acceptance, task);
    } else if (operation.type() == mesos::v1::Offer::Operation::LAUNCH_GROUP) {
      LaunchGroup(acceptance, operation.launch_group());
    }
    // Other operations (reservations, volumes) are not supported: ignored.
  }
  Refuse(framework_id, acceptance.role, agent_id, acceptance.offered,
         accept.filters().refuse_seconds(), now);
}

void MasterCore::RefuseInvalidOffers(Framework& framework, const Call::Accept& accept,
                                     const std::string& why, UnixMillis now, MasterOutput* out) {
  const std::string framework_id = framework.info.id().value();
  for (const auto& offer_id : accept.offer_ids()) {
    auto it = offers_.find(offer_id.value());
    if (it != offers_.end() && it->second.offer.framework_id().value() == framework_id) {
      offers_.erase(it);  // back to the allocator, no filter
    }
  }
  const TaskState state =
      PartitionAware(framework.info) ? mesos::v1::TASK_DROPPED : mesos::v1::TASK_LOST;
  for (const auto& operation : accept.operations()) {
    std::vector<const TaskInfo*> tasks;
    if (operation.type() == mesos::v1::Offer::Operation::LAUNCH) {
      for (const TaskInfo& t : operation.launch().task_infos()) tasks.push_back(&t);
    } else if (operation.type() == mesos::v1::Offer::Operation::LAUNCH_GROUP) {
      for (const TaskInfo& t : operation.launch_group().task_group().tasks()) {
        tasks.push_back(&t);
      }
    }
    for (const TaskInfo* task : tasks) {
      SendUpdate(framework,
                 MasterStatus(framework_id, task->task_id(), task->agent_id().value(), state,
                              TaskStatus::REASON_INVALID_OFFERS,
                              "the offers accepted are invalid: " + why, now),
                 out);
    }
  }
}

void MasterCore::TaskError(Acceptance& a, const TaskInfo& task, TaskStatus::Reason reason,
                           const std::string& message) const {
  SendUpdate(a.framework,
             MasterStatus(a.framework_id, task.task_id(), a.agent_id, mesos::v1::TASK_ERROR, reason,
                          message, a.now),
             a.out);
}

void MasterCore::Launch(Acceptance& a, const TaskInfo& given) {
  const TaskInfo task = a.Allocated(given);
  TaskCheck check{task, a.framework_id, a.agent_id};
  check.id_taken = a.framework.tasks.count(task.task_id().value()) > 0;
  check.agent_takes_limits = a.takes_limits;
  Verdict broken = CheckTask(check);
  Resources needed(task.resources());
  if (!broken && task.has_executor()) {
    const ExecutorInfo* running = a.RunningExecutor(task.executor().executor_id().value());
    broken = CheckExecutor({task.executor(), a.framework_id, running, /*group=*/false});
    if (running == nullptr) needed.Add(Resources(task.executor().resources()));
  }
  if (!broken) broken = a.Fits(needed);
  if (broken) return TaskError(a, task, TaskStatus::REASON_TASK_INVALID, broken->message);
  a.offered.Subtract(needed);
  a.Add(task);
  a.out->agent_requests.push_back(LaunchTasks{a.agent_id, a.framework.info, std::nullopt, {task}});
}

void MasterCore::LaunchGroup(Acceptance& a, const mesos::v1::Offer::Operation::LaunchGroup& group) {
  ExecutorInfo executor = group.executor();
  InjectAllocation(executor.mutable_resources(), a.role);
  if (!executor.has_framework_id()) *executor.mutable_framework_id() = a.framework.info.id();
  std::vector<TaskInfo> tasks;
  for (const TaskInfo& task : group.task_group().tasks()) tasks.push_back(a.Allocated(task));
  Verdict broken;
  Resources needed;
  std::set<std::string> ids;
  for (const TaskInfo& task : tasks) {
    const std::string& id = task.task_id().value();
    TaskCheck check{task, a.framework_id, a.agent_id};
    check.id_taken = a.framework.tasks.count(id) > 0 || !ids.insert(id).second;
    check.agent_takes_limits = a.takes_limits;
    check.group_executor = &executor;
    if (!broken) {
      if (Verdict task_broken = CheckTask(check)) {
        broken = BrokenRule{task_broken->rule, "task '" + id + "': " + task_broken->message};
      }
    }
    needed.Add(Resources(task.resources()));
  }
  const std::string executor_id = executor.executor_id().value();
  const Resources executor_resources(executor.resources());
  const ExecutorInfo* running = a.RunningExecutor(executor_id);
  if (!broken) broken = CheckExecutor({executor, a.framework_id, running, /*group=*/true});
  if (running == nullptr) needed.Add(executor_resources);
  if (!broken) broken = a.Fits(needed);
  if (broken) {
    for (const TaskInfo& task : tasks) {
      TaskError(a, task, TaskStatus::REASON_TASK_GROUP_INVALID, broken->message);
    }
    return;
  }
  a.offered.Subtract(needed);
  for (TaskInfo& task : tasks) {
    if (!task.has_executor()) *task.mutable_executor() = executor;
    a.Add(task);
  }
  if (running == nullptr) {
    a.framework.executors[a.agent_id][executor_id] = {executor, executor_resources};
  }
  a.out->agent_requests.push_back(LaunchTasks{a.agent_id, a.framework.info, executor, tasks});
}

void MasterCore::Reconcile(Framework& framework, const Call::Reconcile& reconcile, UnixMillis now,
                           MasterOutput* out) {
  const std::string framework_id = framework.info.id().value();
  auto latest = [&](const Task& task) {
    // The state the framework was last sent (Mesos' status_update_state):
    // while an update waits for its acknowledgement, the newer ones queued
    // behind it are not yet the framework's to know.
    const TaskState state = task.pending.empty() ? task.state : task.pending.front().state();
    TaskStatus status = MasterStatus(framework_id, task.info.task_id(), task.agent_id, state,
                                     TaskStatus::REASON_RECONCILIATION,
                                     "Reconciliation: the latest state sent", now);
    if (task.info.has_executor()) {
      *status.mutable_executor_id() = task.info.executor().executor_id();
    }
    if (task.latest.has_healthy()) status.set_healthy(task.latest.healthy());
    if (task.latest.has_check_status()) *status.mutable_check_status() = task.latest.check_status();
    if (task.container_status) *status.mutable_container_status() = *task.container_status;
    return status;
  };
  if (reconcile.tasks_size() == 0) {
    for (const auto& [id, task] : framework.tasks) {
      SendUpdate(framework, latest(task), out);
    }
    return;
  }
  const bool aware = PartitionAware(framework.info);
  for (const auto& wanted : reconcile.tasks()) {
    auto it = framework.tasks.find(wanted.task_id().value());
    if (it != framework.tasks.end()) {
      SendUpdate(framework, latest(it->second), out);
      continue;
    }
    const std::string agent_id = wanted.agent_id().value();
    if (wanted.has_agent_id() && gone_agents_.count(agent_id) > 0) {
      SendUpdate(framework,
                 MasterStatus(framework_id, wanted.task_id(), agent_id,
                              aware ? mesos::v1::TASK_GONE_BY_OPERATOR : mesos::v1::TASK_LOST,
                              TaskStatus::REASON_RECONCILIATION,
                              "Reconciliation: the agent was marked gone", now),
                 out);
    } else if (wanted.has_agent_id() && agents_.count(agent_id) > 0) {
      SendUpdate(framework,
                 MasterStatus(framework_id, wanted.task_id(), agent_id,
                              aware ? mesos::v1::TASK_GONE : mesos::v1::TASK_LOST,
                              TaskStatus::REASON_RECONCILIATION,
                              // Mesos' words, kept: Marathon tells a task
                              // its agent does not know by this message.
                              "Reconciliation: Task is unknown to the agent", now),
                 out);
    } else {
      SendUpdate(framework,
                 MasterStatus(framework_id, wanted.task_id(), wanted.has_agent_id() ? agent_id : "",
                              aware ? mesos::v1::TASK_UNKNOWN : mesos::v1::TASK_LOST,
                              TaskStatus::REASON_RECONCILIATION,
                              // Mesos' words, kept for the clients that
                              // match the one above by its beginning.
                              "Reconciliation: Task is unknown", now),
                 out);
    }
  }
}

void MasterCore::Kill(Framework& framework, const Call::Kill& kill, UnixMillis now,
                      MasterOutput* out) {
  auto it = framework.tasks.find(kill.task_id().value());
  if (it == framework.tasks.end()) {
    Call::Reconcile reconcile;
    auto* wanted = reconcile.add_tasks();
    *wanted->mutable_task_id() = kill.task_id();
    if (kill.has_agent_id()) *wanted->mutable_agent_id() = kill.agent_id();
    Reconcile(framework, reconcile, now, out);
    return;
  }
  if (kill.has_agent_id() && kill.agent_id().value() != it->second.agent_id) {
    return;  // a different agent: ignored
  }
  std::optional<mesos::v1::KillPolicy> policy;
  if (kill.has_kill_policy()) policy = kill.kill_policy();
  out->agent_requests.push_back(
      KillTask{it->second.agent_id, framework.info.id().value(), kill.task_id(), policy});
}

void MasterCore::ScheduleRetry(Framework& framework, Task& task, UnixMillis at) {
  CancelRetry(framework, task);
  task.next_retry = at;
  framework.retries.emplace(at, task.info.task_id().value());
}

void MasterCore::CancelRetry(Framework& framework, Task& task) {
  framework.retries.erase({task.next_retry, task.info.task_id().value()});
}

void MasterCore::ForwardHead(Framework& framework, Task& task, UnixMillis now, MasterOutput* out) {
  SendUpdate(framework, task.pending.front(), out);
  task.retry_interval = options_.status_update_retry_min;
  ScheduleRetry(framework, task, now + task.retry_interval);
}

void MasterCore::Acknowledge(Framework& framework, const Call::Acknowledge& ack, UnixMillis now,
                             MasterOutput* out) {
  auto it = framework.tasks.find(ack.task_id().value());
  if (it == framework.tasks.end()) return;
  Task& task = it->second;
  if (task.agent_id != ack.agent_id().value() || task.pending.empty() ||
      task.pending.front().uuid() != ack.uuid()) {
    return;  // not the head: ignored, as the agent does
  }
  const TaskState acked = task.pending.front().state();
  task.pending.pop_front();
  if (task.pending.empty() || IsTerminal(acked)) CancelRetry(framework, task);
  out->agent_requests.push_back(
      AcknowledgeUpdate{task.agent_id, framework.info.id().value(), ack.task_id(), ack.uuid()});
  if (IsTerminal(acked)) {
    // Later updates after a terminal one are not forwarded.
    task.pending.clear();
    Complete(framework, std::move(task));
    framework.tasks.erase(it);
    return;
  }
  if (!task.pending.empty()) ForwardHead(framework, task, now, out);
}

MasterOutput MasterCore::StatusUpdate(const std::string& agent_id, const std::string& framework_id,
                                      TaskStatus status, UnixMillis now) {
  MasterOutput out;
  auto fit = frameworks_.find(framework_id);
  if (fit == frameworks_.end()) return out;
  Framework& framework = fit->second;
  auto tit = framework.tasks.find(status.task_id().value());
  if (tit == framework.tasks.end() || tit->second.agent_id != agent_id) {
    return out;
  }
  Task& task = tit->second;
  status.mutable_agent_id()->set_value(agent_id);
  if (!status.has_timestamp()) {
    status.set_timestamp(static_cast<double>(now) / 1000.0);
  }
  if (status.has_uuid()) {
    for (const TaskStatus& queued : task.pending) {
      if (queued.uuid() == status.uuid()) return out;  // a duplicate
    }
  }
  if (!IsTerminal(task.state)) {
    task.state = status.state();
    task.latest = status;
    if (status.has_container_status()) task.container_status = status.container_status();
  }
  if (!status.has_uuid()) {
    SendUpdate(framework, status, &out);
    return out;
  }
  task.pending.push_back(std::move(status));
  if (task.pending.size() == 1) ForwardHead(framework, task, now, &out);
  return out;
}

MasterOutput MasterCore::ExecutorTerminated(const std::string& agent_id,
                                            const std::string& framework_id,
                                            const mesos::v1::ExecutorID& executor_id,
                                            int wait_status, UnixMillis now) {
  (void)now;
  MasterOutput out;
  if (agents_.count(agent_id) == 0) return out;  // e.g. marked gone: ignored
  auto fit = frameworks_.find(framework_id);
  if (fit == frameworks_.end()) return out;
  Framework& framework = fit->second;
  auto on_agent = framework.executors.find(agent_id);
  if (on_agent != framework.executors.end()) {
    on_agent->second.erase(executor_id.value());
  }
  Event event;
  event.set_type(Event::FAILURE);
  event.mutable_failure()->mutable_agent_id()->set_value(agent_id);
  *event.mutable_failure()->mutable_executor_id() = executor_id;
  if (wait_status >= 0) event.mutable_failure()->set_status(wait_status);
  Send(framework, event, &out);
  allocation_wanted_ = true;
  return out;
}

std::optional<MasterOutput> MasterCore::MarkAgentGone(const std::string& agent_id, UnixMillis now) {
  auto agent = agents_.find(agent_id);
  if (agent == agents_.end()) return std::nullopt;
  MasterOutput out;
  const std::string message =
      "Agent " + agent->second.info.hostname() + " was marked gone by the operator";
  // Asked while the agent is still known, so the request reaches it.
  for (auto& [framework_id, framework] : frameworks_) {
    out.agent_requests.push_back(ShutdownFramework{agent_id, framework_id});
  }
  for (auto offer = offers_.begin(); offer != offers_.end();) {
    if (offer->second.offer.agent_id().value() != agent_id) {
      ++offer;
      continue;
    }
    auto framework = frameworks_.find(offer->second.offer.framework_id().value());
    if (framework != frameworks_.end()) {
      Event rescind;
      rescind.set_type(Event::RESCIND);
      *rescind.mutable_rescind()->mutable_offer_id() = offer->second.offer.id();
      Send(framework->second, std::move(rescind), &out);
    }
    offer = offers_.erase(offer);
  }
  for (auto& [framework_id, framework] : frameworks_) {
    const bool aware = PartitionAware(framework.info);
    bool had_any = framework.executors.erase(agent_id) > 0;
    for (auto task = framework.tasks.begin(); task != framework.tasks.end();) {
      if (task->second.agent_id != agent_id) {
        ++task;
        continue;
      }
      had_any = true;
      Task& gone = task->second;
      const TaskState state = aware ? mesos::v1::TASK_GONE_BY_OPERATOR : mesos::v1::TASK_LOST;
      if (!IsTerminal(gone.state)) {
        TaskStatus status =
            MasterStatus(framework_id, gone.info.task_id(), agent_id, state,
                         TaskStatus::REASON_AGENT_REMOVED_BY_OPERATOR, message, now);
        if (gone.info.has_executor()) {
          *status.mutable_executor_id() = gone.info.executor().executor_id();
        }
        SendUpdate(framework, status, &out);
        gone.state = state;
        gone.latest = std::move(status);
      }
      CancelRetry(framework, gone);
      gone.pending.clear();
      Complete(framework, std::move(gone));
      task = framework.tasks.erase(task);
    }
    if (had_any) {
      Event failure;
      failure.set_type(Event::FAILURE);
      failure.mutable_failure()->mutable_agent_id()->set_value(agent_id);
      Send(framework, std::move(failure), &out);
    }
  }
  agents_.erase(agent);
  gone_agents_.insert(agent_id);
  allocation_wanted_ = true;
  return out;
}

MasterOutput MasterCore::ExecutorMessage(const std::string& agent_id,
                                         const std::string& framework_id,
                                         const mesos::v1::ExecutorID& executor_id,
                                         std::string data) {
  MasterOutput out;
  if (agents_.count(agent_id) == 0) return out;
  auto fit = frameworks_.find(framework_id);
  if (fit == frameworks_.end()) return out;
  Event event;
  event.set_type(Event::MESSAGE);
  event.mutable_message()->mutable_agent_id()->set_value(agent_id);
  *event.mutable_message()->mutable_executor_id() = executor_id;
  event.mutable_message()->set_data(std::move(data));
  Send(fit->second, event, &out);
  return out;
}

std::map<std::string, Resources> MasterCore::UsedByAgent() const {
  std::map<std::string, Resources> used;
  for (const auto& [id, framework] : frameworks_) {
    for (const auto& [task_id, task] : framework.tasks) {
      if (!IsTerminal(task.state)) {
        used[task.agent_id].Add(Resources(task.info.resources()).Unallocated());
      }
    }
    for (const auto& [agent_id, executors] : framework.executors) {
      for (const auto& [executor_id, executor] : executors) {
        used[agent_id].Add(executor.resources.Unallocated());
      }
    }
  }
  return used;
}

std::map<std::string, Resources> MasterCore::OfferedByAgent() const {
  std::map<std::string, Resources> offered;
  for (const auto& [id, offer] : offers_) {
    offered[offer.offer.agent_id().value()].Add(offer.resources);
  }
  return offered;
}

mesos::v1::Offer MasterCore::ForFramework(const Framework& framework,
                                          const OutstandingOffer& offer) const {
  mesos::v1::Offer out = offer.offer;
  if (!MultiRole(framework.info)) {
    out.clear_allocation_info();
    for (auto& r : *out.mutable_resources()) r.clear_allocation_info();
  }
  return out;
}

void MasterCore::Allocate(UnixMillis now, MasterOutput* out) {
  // Who may get offers first: with every framework suppressed (the steady
  // state of a placed spec) nothing below is worth computing.
  std::vector<AllocationFramework> candidates;
  for (const auto& [id, framework] : frameworks_) {
    if (!framework.connected) continue;
    AllocationFramework candidate;
    candidate.framework_id = id;
    for (const std::string& role : Roles(framework)) {
      if (framework.suppressed_roles.count(role) == 0) {
        candidate.roles.push_back(role);
      }
    }
    if (candidate.roles.empty()) continue;
    for (const auto& [offer_id, offer] : offers_) {
      if (offer.offer.framework_id().value() == id) {
        candidate.allocated_cpus += offer.resources.Scalar("cpus").value_or(0);
      }
    }
    for (const auto& [task_id, task] : framework.tasks) {
      if (!IsTerminal(task.state)) {
        candidate.allocated_cpus += Resources(task.info.resources()).Scalar("cpus").value_or(0);
      }
    }
    candidates.push_back(std::move(candidate));
  }
  if (candidates.empty()) return;

  std::vector<AllocationAgent> agents;
  agents.reserve(agents_.size());
  std::map<std::string, Resources> used = UsedByAgent();
  std::map<std::string, Resources> offered = OfferedByAgent();
  for (const auto& [id, agent] : agents_) {
    Resources free = agent.total;
    if (auto u = used.find(id); u != used.end()) free.Subtract(u->second);
    if (auto o = offered.find(id); o != offered.end()) free.Subtract(o->second);
    if (!Allocatable(free)) continue;  // all in use or in offers
    agents.push_back({id, std::move(free)});
  }

  std::map<std::string, Event> events;
  for (const Allocation& allocation : cluster::Allocate(agents, candidates, filters_, now)) {
    const Agent& agent = agents_.at(allocation.agent_id);
    Framework& framework = frameworks_.at(allocation.framework_id);
    OutstandingOffer offer;
    offer.role = allocation.role;
    mesos::v1::Offer& o = offer.offer;
    o.mutable_id()->set_value(options_.master_id + "-O" + std::to_string(next_offer_++));
    *o.mutable_framework_id() = framework.info.id();
    *o.mutable_agent_id() = agent.info.id();
    o.set_hostname(agent.info.hostname());
    o.mutable_url()->set_scheme("http");
    o.mutable_url()->mutable_address()->set_hostname(agent.info.hostname());
    o.mutable_url()->mutable_address()->set_ip(agent.ip);
    o.mutable_url()->mutable_address()->set_port(agent.info.port());
    o.mutable_url()->set_path("/slave(1)");
    allocation.resources.AllocatedTo(allocation.role).CopyTo(o.mutable_resources());
    offer.resources = allocation.resources.Unallocated();
    *o.mutable_attributes() = agent.info.attributes();
    o.mutable_allocation_info()->set_role(allocation.role);
    auto on_agent = framework.executors.find(allocation.agent_id);
    if (on_agent != framework.executors.end()) {
      for (const auto& [executor_id, executor] : on_agent->second) {
        *o.add_executor_ids() = executor.info.executor_id();
      }
    }
    Event& event = events[allocation.framework_id];
    event.set_type(Event::OFFERS);
    *event.mutable_offers()->add_offers() = ForFramework(framework, offer);
    offers_[o.id().value()] = std::move(offer);
  }
  for (auto& [framework_id, event] : events) {
    Send(frameworks_.at(framework_id), std::move(event), out);
  }
}

MasterOutput MasterCore::Tick(UnixMillis now) {
  MasterOutput out;
  filters_.Expire(now);
  std::vector<std::string> expired;
  for (auto& [id, framework] : frameworks_) {
    if (!framework.connected) {
      if (framework.failover_deadline && now >= *framework.failover_deadline) {
        expired.push_back(id);
      }
      continue;
    }
    if (now >= framework.next_heartbeat) {
      Event heartbeat;
      heartbeat.set_type(Event::HEARTBEAT);
      Send(framework, heartbeat, &out);
      framework.next_heartbeat = now + options_.heartbeat_interval;
    }
    while (!framework.retries.empty() && framework.retries.begin()->first <= now) {
      const auto [at, task_id] = *framework.retries.begin();
      framework.retries.erase(framework.retries.begin());
      auto it = framework.tasks.find(task_id);
      if (it == framework.tasks.end() || it->second.pending.empty() ||
          it->second.next_retry != at) {
        continue;  // no longer waiting (a task replaced under its id)
      }
      Task& task = it->second;
      SendUpdate(framework, task.pending.front(), &out);
      task.retry_interval = std::min(task.retry_interval * 2, options_.status_update_retry_max);
      ScheduleRetry(framework, task, now + task.retry_interval);
    }
  }
  for (const std::string& id : expired) RemoveFramework(frameworks_.at(id), now, &out);
  if (allocation_wanted_ || now >= next_allocation_) {
    allocation_wanted_ = false;
    next_allocation_ = now + options_.allocation_interval;
    Allocate(now, &out);
  }
  return out;
}

std::optional<UnixMillis> MasterCore::NextTick() const {
  std::optional<UnixMillis> next;
  auto consider = [&](UnixMillis at) { next = next ? std::min(*next, at) : at; };
  if (allocation_wanted_) consider(0);
  for (const auto& [id, framework] : frameworks_) {
    if (!framework.connected) {
      if (framework.failover_deadline) consider(*framework.failover_deadline);
      continue;
    }
    consider(framework.next_heartbeat);
    if (!framework.retries.empty()) consider(framework.retries.begin()->first);
    // The same test as Allocate()'s for a framework that takes offers.
    for (const std::string& role : Roles(framework)) {
      if (framework.suppressed_roles.count(role) == 0) {
        consider(next_allocation_);
        break;
      }
    }
  }
  return next;
}

MasterView MasterCore::View() const {
  MasterView view;
  auto describe = [&](const Framework& framework) {
    FrameworkView f;
    f.info = framework.info;
    f.connected = framework.connected;
    f.active = framework.connected;
    auto latest = [](const Task& task) -> std::optional<mesos::v1::TaskStatus> {
      if (!task.latest.has_task_id()) return std::nullopt;
      return task.latest;
    };
    for (const auto& [id, task] : framework.tasks) {
      f.tasks.push_back({task.info, task.state, latest(task), false});
    }
    for (const Task& task : framework.completed_tasks) {
      f.tasks.push_back({task.info, task.state, latest(task), true});
    }
    for (const auto& [agent_id, executors] : framework.executors) {
      for (const auto& [executor_id, executor] : executors) {
        f.executors.push_back({agent_id, executor.info});
      }
    }
    for (const auto& [id, offer] : offers_) {
      if (offer.offer.framework_id().value() == framework.info.id().value()) {
        f.offers.push_back(ForFramework(framework, offer));
      }
    }
    return f;
  };
  for (const auto& [id, framework] : frameworks_) {
    view.frameworks.push_back(describe(framework));
  }
  for (const auto& [id, framework] : completed_frameworks_) {
    view.completed_frameworks.push_back(describe(framework));
  }
  std::map<std::string, Resources> used = UsedByAgent();
  std::map<std::string, Resources> offered = OfferedByAgent();
  for (const auto& [id, agent] : agents_) {
    view.agents.push_back({agent.info, used[id], offered[id]});
  }
  view.completed_counts = completed_counts_;
  return view;
}

}  // namespace mlaunch::cluster

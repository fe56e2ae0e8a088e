#include "cluster/master_rules.h"

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <vector>

#include "common/random_ids.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::ExecutorInfo;
using mesos::v1::FrameworkInfo;
using mesos::v1::TaskInfo;
using mesos::v1::scheduler::Call;

constexpr std::size_t kMaxIdLength = 255;  // a folder name (NAME_MAX)
// The longest duration in int64 nanoseconds, in whole seconds.
constexpr double kMaxDurationSeconds = 9223372036.0;
// What Mesos requires at least of a task group's executor.
constexpr double kMinExecutorCpus = 0.01;
constexpr double kMinExecutorMem = 32;

std::string Number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

bool HasCapability(const FrameworkInfo& info, FrameworkInfo::Capability::Type type) {
  return std::any_of(info.capabilities().begin(), info.capabilities().end(),
                     [&](const auto& c) { return c.type() == type; });
}

bool MultiRole(const FrameworkInfo& info) {
  return HasCapability(info, FrameworkInfo::Capability::MULTI_ROLE);
}

std::optional<std::string> LabelsTooLarge(const mesos::v1::Labels& labels, const char* whose) {
  const std::size_t bytes = labels.ByteSizeLong();
  if (bytes <= kMaxLabelsBytes) return std::nullopt;
  return std::string(whose) + " labels take " + std::to_string(bytes) +
         " bytes; this master keeps at most " + std::to_string(kMaxLabelsBytes);
}

// A role name as Mesos accepts it: "*", or components separated by '/'.
std::optional<std::string> RoleProblem(const std::string& role) {
  if (role == "*") return std::nullopt;
  if (role.empty()) return "a role needs a name";
  if (role.front() == '/' || role.back() == '/')
    return "role '" + role + "' begins or ends with '/'";
  std::size_t begin = 0;
  while (begin <= role.size()) {
    std::size_t end = role.find('/', begin);
    if (end == std::string::npos) end = role.size();
    const std::string part = role.substr(begin, end - begin);
    if (part.empty()) return "role '" + role + "' has an empty component between two '/'";
    if (part == "." || part == ".." || part == "*") {
      return "role '" + role + "' has '" + part + "' as a component";
    }
    if (part.front() == '-') return "role '" + role + "' has a component beginning with '-'";
    for (char c : part) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f || c == '\\') {
        return "role '" + role + "' holds a space, a control character or '\\'";
      }
    }
    begin = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> NegativeDuration(const mesos::v1::DurationInfo& duration,
                                            const char* what) {
  if (duration.nanoseconds() >= 0) return std::nullopt;
  return std::string(what) + " is a negative duration";
}

std::optional<std::string> EnvironmentProblem(const mesos::v1::CommandInfo& command,
                                              const char* whose) {
  using Variable = mesos::v1::Environment::Variable;
  for (const Variable& v : command.environment().variables()) {
    const std::string name = std::string(whose) + " environment variable '" + v.name() + "'";
    switch (v.type()) {
      case Variable::VALUE:
        if (!v.has_value() || v.has_secret())
          return name + " of type VALUE needs a value and no secret";
        break;
      case Variable::SECRET:
        if (!v.has_secret() || v.has_value())
          return name + " of type SECRET needs a secret and no value";
        break;
      default:
        return name + " has no type (VALUE or SECRET)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> HealthCheckProblem(const mesos::v1::HealthCheck& check) {
  using mesos::v1::HealthCheck;
  switch (check.type()) {
    case HealthCheck::COMMAND:
      if (!check.has_command()) return "a COMMAND health check without 'command'";
      break;
    case HealthCheck::HTTP: {
      if (!check.has_http()) return "an HTTP health check without 'http'";
      const auto& http = check.http();
      if (http.has_scheme() && http.scheme() != "http" && http.scheme() != "https") {
        return "an HTTP health check with scheme '" + http.scheme() + "' (http or https)";
      }
      if (http.has_path() && (http.path().empty() || http.path()[0] != '/')) {
        return "an HTTP health check of path '" + http.path() + "', which is not absolute";
      }
      break;
    }
    case HealthCheck::TCP:
      if (!check.has_tcp()) return "a TCP health check without 'tcp'";
      break;
    default:
      return "a health check without a type (COMMAND, HTTP or TCP)";
  }
  const std::pair<const char*, double> timings[] = {
      {"delay_seconds", check.delay_seconds()},
      {"interval_seconds", check.interval_seconds()},
      {"timeout_seconds", check.timeout_seconds()},
      {"grace_period_seconds", check.grace_period_seconds()}};
  for (const auto& [name, value] : timings) {
    if (value < 0) return "a health check whose " + std::string(name) + " is negative";
  }
  return std::nullopt;
}

// ---- Calls ----------------------------------------------------------------

struct CallSubject {
  const Call& call;
  const std::optional<std::string>& principal;
};

// The parameters each type of call carries, in the field named after it.
struct Parameters {
  Call::Type type;
  const char* field;
  bool (Call::*present)() const;
};
constexpr Parameters kParameters[] = {
    {Call::SUBSCRIBE, "subscribe", &Call::has_subscribe},
    {Call::ACCEPT, "accept", &Call::has_accept},
    {Call::DECLINE, "decline", &Call::has_decline},
    {Call::ACCEPT_INVERSE_OFFERS, "accept_inverse_offers", &Call::has_accept_inverse_offers},
    {Call::DECLINE_INVERSE_OFFERS, "decline_inverse_offers", &Call::has_decline_inverse_offers},
    {Call::KILL, "kill", &Call::has_kill},
    {Call::SHUTDOWN, "shutdown", &Call::has_shutdown},
    {Call::ACKNOWLEDGE, "acknowledge", &Call::has_acknowledge},
    {Call::ACKNOWLEDGE_OPERATION_STATUS, "acknowledge_operation_status",
     &Call::has_acknowledge_operation_status},
    {Call::RECONCILE, "reconcile", &Call::has_reconcile},
    {Call::RECONCILE_OPERATIONS, "reconcile_operations", &Call::has_reconcile_operations},
    {Call::MESSAGE, "message", &Call::has_message},
    {Call::REQUEST, "request", &Call::has_request},
    {Call::UPDATE_FRAMEWORK, "update_framework", &Call::has_update_framework},
};

const Rule<CallSubject> kCallRules[] = {
    {"type",
     [](const CallSubject& s) -> std::optional<std::string> {
       if (s.call.has_type()) return std::nullopt;
       return "the call has no type";
     }},
    {"framework-id",
     [](const CallSubject& s) -> std::optional<std::string> {
       if (s.call.type() == Call::SUBSCRIBE || s.call.has_framework_id()) return std::nullopt;
       return "a " + Call::Type_Name(s.call.type()) +
              " call must name its framework in framework_id (only SUBSCRIBE may not)";
     }},
    {"parameters",
     [](const CallSubject& s) -> std::optional<std::string> {
       for (const Parameters& p : kParameters) {
         if (p.type == s.call.type() && !(s.call.*p.present)()) {
           return "a " + Call::Type_Name(p.type) + " call carries its parameters in '" + p.field +
                  "', which is missing";
         }
       }
       return std::nullopt;
     }},
    {"same-framework",
     [](const CallSubject& s) -> std::optional<std::string> {
       const std::string& id = s.call.framework_id().value();
       if (s.call.type() == Call::SUBSCRIBE &&
           s.call.subscribe().framework_info().id().value() != id) {
         return "framework_id and subscribe.framework_info.id name two frameworks";
       }
       if (s.call.type() == Call::UPDATE_FRAMEWORK &&
           s.call.update_framework().framework_info().id().value() != id) {
         return "framework_id and update_framework.framework_info.id name two frameworks";
       }
       return std::nullopt;
     }},
    {"principal",
     [](const CallSubject& s) -> std::optional<std::string> {
       if (s.call.type() != Call::SUBSCRIBE || !s.principal) return std::nullopt;
       const FrameworkInfo& info = s.call.subscribe().framework_info();
       if (!info.has_principal() || info.principal() == *s.principal) return std::nullopt;
       return "you authenticated as '" + *s.principal + "' but FrameworkInfo.principal is '" +
              info.principal() + "'";
     }},
    {"uuid",
     [](const CallSubject& s) -> std::optional<std::string> {
       const std::string* uuid = nullptr;
       if (s.call.type() == Call::ACKNOWLEDGE) uuid = &s.call.acknowledge().uuid();
       if (s.call.type() == Call::ACKNOWLEDGE_OPERATION_STATUS) {
         uuid = &s.call.acknowledge_operation_status().uuid();
       }
       if (uuid == nullptr || IsVersionedUuid(*uuid)) return std::nullopt;
       return "the uuid acknowledged is no uuid (16 bytes with an RFC 4122 version); "
              "send back the one the update carried";
     }},
    {"operation-agent",
     [](const CallSubject& s) -> std::optional<std::string> {
       if (s.call.type() != Call::ACKNOWLEDGE_OPERATION_STATUS ||
           s.call.acknowledge_operation_status().has_agent_id()) {
         return std::nullopt;
       }
       return "acknowledge_operation_status must name the agent (agent_id)";
     }},
};

// ---- FrameworkInfo --------------------------------------------------------

const Rule<FrameworkInfo> kFrameworkRules[] = {
    {"role-or-roles",
     [](const FrameworkInfo& info) -> std::optional<std::string> {
       if (MultiRole(info) && info.has_role()) {
         return "a MULTI_ROLE framework lists its roles in 'roles'; 'role' must be left out";
       }
       if (!MultiRole(info) && info.roles_size() > 0) {
         return "'roles' is for MULTI_ROLE frameworks; without that capability give one 'role'";
       }
       return std::nullopt;
     }},
    {"roles-unique",
     [](const FrameworkInfo& info) -> std::optional<std::string> {
       std::set<std::string> seen;
       for (const std::string& role : info.roles()) {
         if (!seen.insert(role).second) return "role '" + role + "' is listed twice in 'roles'";
       }
       return std::nullopt;
     }},
    {"role-names",
     [](const FrameworkInfo& info) -> std::optional<std::string> {
       if (!MultiRole(info)) return RoleProblem(info.role());
       for (const std::string& role : info.roles()) {
         if (auto problem = RoleProblem(role)) return problem;
       }
       return std::nullopt;
     }},
    {"failover-timeout",
     [](const FrameworkInfo& info) -> std::optional<std::string> {
       // As a duration in nanoseconds it must fit 64 bits, as Mesos
       // requires; NaN and the infinities do not.
       if (std::fabs(info.failover_timeout()) <= kMaxDurationSeconds) return std::nullopt;
       return "failover_timeout " + Number(info.failover_timeout()) +
              " is no duration this master can keep: give seconds between 0 and " +
              Number(kMaxDurationSeconds);
     }},
    {"labels-size",
     [](const FrameworkInfo& info) { return LabelsTooLarge(info.labels(), "the framework's"); }},
};

// ---- Offers ---------------------------------------------------------------

const Rule<OfferCheck> kOfferRules[] = {
    {"offers-named",
     [](const OfferCheck& c) -> std::optional<std::string> {
       if (c.accept.offer_ids_size() > 0) return std::nullopt;
       return "the ACCEPT names no offer";
     }},
    {"offers-once",
     [](const OfferCheck& c) -> std::optional<std::string> {
       std::set<std::string> seen;
       for (const auto& id : c.accept.offer_ids()) {
         if (!seen.insert(id.value()).second) return "offer " + id.value() + " is named twice";
       }
       return std::nullopt;
     }},
    {"offers-outstanding",
     [](const OfferCheck& c) -> std::optional<std::string> {
       for (const auto& id : c.accept.offer_ids()) {
         if (c.outstanding.count(id.value()) == 0) {
           return "offer " + id.value() +
                  " is not outstanding (used, declined, rescinded or never made)";
         }
       }
       return std::nullopt;
     }},
    {"offers-ours",
     [](const OfferCheck& c) -> std::optional<std::string> {
       for (const auto& id : c.accept.offer_ids()) {
         const mesos::v1::Offer& offer = *c.outstanding.at(id.value()).first;
         if (offer.framework_id().value() != c.framework_id) {
           return "offer " + id.value() + " was made to another framework";
         }
       }
       return std::nullopt;
     }},
    {"offers-one-role-one-agent",
     [](const OfferCheck& c) -> std::optional<std::string> {
       const auto& [first, role] = c.outstanding.at(c.accept.offer_ids(0).value());
       for (const auto& id : c.accept.offer_ids()) {
         const auto& [offer, its_role] = c.outstanding.at(id.value());
         if (its_role != role) {
           return "offers accepted together must share a role: " + id.value() + " is for '" +
                  its_role + "', " + first->id().value() + " for '" + role + "'";
         }
         if (offer->agent_id().value() != first->agent_id().value()) {
           return "offers accepted together must share an agent: " + id.value() + " is from " +
                  offer->agent_id().value() + ", " + first->id().value() + " from " +
                  first->agent_id().value();
         }
       }
       return std::nullopt;
     }},
};

// ---- Tasks ----------------------------------------------------------------

std::optional<std::string> LimitsProblem(const TaskCheck& c) {
  const TaskInfo& task = c.task;
  if (task.limits().empty()) return std::nullopt;
  // In name order, so the message does not depend on the map's order.
  const std::map<std::string, mesos::v1::Value::Scalar> limits(task.limits().begin(),
                                                               task.limits().end());
  for (const auto& [name, limit] : limits) {
    if (name != "cpus" && name != "mem") {
      return "the task limits '" + name + "'; only 'cpus' and 'mem' can be limited";
    }
    double request = 0;
    for (const auto& resource : task.resources()) {
      if (resource.name() == name) request += resource.scalar().value();
    }
    // Also true for NaN; an infinite limit means none.
    if (!(limit.value() >= request)) {
      return "the task's " + name + " limit " + Number(limit.value()) + " is below its request " +
             Number(request);
    }
  }
  if (!c.agent_takes_limits) {
    return "the task sets resource limits but agent " + c.agent_id +
           " does not have the TASK_RESOURCE_LIMITS capability (the embedded agents "
           "enforce no limits: leave TaskInfo.limits out)";
  }
  return std::nullopt;
}

// What Mesos' master checks of a ContainerInfo: each volume names one
// source, a source's type says which, and a DOCKER container says how.
// (The agents refuse what they cannot run, later and saying so.)
std::optional<std::string> ContainerProblem(const mesos::v1::ContainerInfo& c) {
  for (const mesos::v1::Volume& v : c.volumes()) {
    // Volume.image (field 4) is not in our subset: it arrives unknown.
    const google::protobuf::UnknownFieldSet& unknown = v.GetReflection()->GetUnknownFields(v);
    bool image = false;
    for (int i = 0; i < unknown.field_count(); ++i) image |= unknown.field(i).number() == 4;
    const int sources = (v.has_host_path() ? 1 : 0) + (v.has_source() ? 1 : 0) + (image ? 1 : 0);
    if (sources != 1) {
      return "volume " + v.container_path() +
             " must name exactly one of host_path, image and source";
    }
    if (!v.has_source()) continue;
    switch (v.source().type()) {
      case mesos::v1::Volume::Source::SANDBOX_PATH:
        if (!v.source().has_sandbox_path()) {
          return "volume " + v.container_path() + " is a SANDBOX_PATH without source.sandbox_path";
        }
        break;
      case mesos::v1::Volume::Source::DOCKER_VOLUME:
      case mesos::v1::Volume::Source::SECRET:
        break;
      default:
        return "volume " + v.container_path() + " has a source of unknown type";
    }
  }
  if (c.type() == mesos::v1::ContainerInfo::DOCKER && !c.has_docker()) {
    return "a DOCKER container needs ContainerInfo.docker";
  }
  return std::nullopt;
}

const Rule<TaskCheck> kTaskRules[] = {
    {"task-id",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (auto problem = IdProblem(c.task.task_id().value())) return "task id " + *problem;
       return std::nullopt;
     }},
    {"task-id-unique",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (!c.id_taken) return std::nullopt;
       return "task id '" + c.task.task_id().value() +
              "' is taken by another task of the framework";
     }},
    {"labels-size",
     [](const TaskCheck& c) { return LabelsTooLarge(c.task.labels(), "the task's"); }},
    {"agent",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (c.task.agent_id().value() == c.agent_id) return std::nullopt;
       return "the task is for agent " + c.task.agent_id().value() + " but the offers are from " +
              c.agent_id;
     }},
    {"kill-policy",
     [](const TaskCheck& c) {
       return NegativeDuration(c.task.kill_policy().grace_period(), "kill_policy.grace_period");
     }},
    {"max-completion-time",
     [](const TaskCheck& c) {
       return NegativeDuration(c.task.max_completion_time(), "max_completion_time");
     }},
    {"health-check",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (!c.task.has_health_check()) return std::nullopt;
       if (auto problem = HealthCheckProblem(c.task.health_check()))
         return "the task has " + *problem;
       return std::nullopt;
     }},
    {"resources",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (c.task.resources().empty()) return "the task asks for no resources";
       if (auto problem = ValidateResources(c.task.resources())) return "the task's " + *problem;
       return std::nullopt;
     }},
    {"limits", LimitsProblem},
    {"environment",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (!c.task.has_command()) return std::nullopt;
       return EnvironmentProblem(c.task.command(), "the task's");
     }},
    {"container",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (!c.task.has_container()) return std::nullopt;
       if (auto problem = ContainerProblem(c.task.container())) return "the task's " + *problem;
       return std::nullopt;
     }},
    {"command-or-executor",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (c.group_executor != nullptr || c.task.has_executor() != c.task.has_command()) {
         return std::nullopt;
       }
       return "a task runs either a command (CommandInfo) or under an executor (ExecutorInfo): "
              "give exactly one";
     }},
    {"group-executor",
     [](const TaskCheck& c) -> std::optional<std::string> {
       if (c.group_executor == nullptr || !c.task.has_executor() ||
           c.task.executor().SerializeAsString() == c.group_executor->SerializeAsString()) {
         return std::nullopt;
       }
       return "the task names an executor other than its group's (" +
              c.group_executor->executor_id().value() + ")";
     }},
};

// ---- Executors ------------------------------------------------------------

std::optional<std::string> ExecutorTypeProblem(const ExecutorCheck& c) {
  const ExecutorInfo& e = c.executor;
  if (c.group) {
    if (!e.has_type() || e.type() == ExecutorInfo::UNKNOWN) {
      return "a task group's executor needs a type, DEFAULT or CUSTOM";
    }
    if (e.type() == ExecutorInfo::DEFAULT && e.has_command()) {
      return "a DEFAULT executor is the agent's own and takes no command";
    }
  } else if (e.has_type() && e.type() != ExecutorInfo::CUSTOM) {
    return "a task's own executor is CUSTOM (the DEFAULT executor runs task groups)";
  }
  if (e.type() != ExecutorInfo::DEFAULT && !e.has_command()) {
    return "a CUSTOM executor needs the command that starts it";
  }
  return std::nullopt;
}

std::optional<std::string> ExecutorMinimumProblem(const ExecutorCheck& c) {
  if (!c.group) return std::nullopt;
  const Resources resources(c.executor.resources());
  const std::string id = c.executor.executor_id().value();
  const std::optional<double> cpus = resources.Scalar("cpus");
  const std::optional<double> mem = resources.Scalar("mem");
  if (cpus.value_or(0) < kMinExecutorCpus) {
    return "executor '" + id + "' asks for " + (cpus ? Number(*cpus) : "no") + " cpus; at least " +
           Number(kMinExecutorCpus) + " are needed";
  }
  if (mem.value_or(0) < kMinExecutorMem) {
    return "executor '" + id + "' asks for " + (mem ? Number(*mem) : "no") +
           " MB of mem; at least " + Number(kMinExecutorMem) + " are needed";
  }
  if (!resources.Scalar("disk")) return "executor '" + id + "' asks for no disk; give it some";
  return std::nullopt;
}

const Rule<ExecutorCheck> kExecutorRules[] = {
    {"executor-id",
     [](const ExecutorCheck& c) -> std::optional<std::string> {
       if (auto problem = IdProblem(c.executor.executor_id().value()))
         return "executor id " + *problem;
       return std::nullopt;
     }},
    {"executor-framework",
     [](const ExecutorCheck& c) -> std::optional<std::string> {
       if (c.executor.framework_id().value() == c.framework_id) return std::nullopt;
       return "the executor is for framework " + c.executor.framework_id().value() + ", not " +
              c.framework_id;
     }},
    {"executor-type", ExecutorTypeProblem},
    {"executor-shutdown-grace",
     [](const ExecutorCheck& c) {
       return NegativeDuration(c.executor.shutdown_grace_period(),
                               "the executor's shutdown_grace_period");
     }},
    {"executor-resources",
     [](const ExecutorCheck& c) -> std::optional<std::string> {
       if (auto problem = ValidateResources(c.executor.resources()))
         return "the executor's " + *problem;
       return std::nullopt;
     }},
    {"executor-minimum", ExecutorMinimumProblem},
    {"executor-environment",
     [](const ExecutorCheck& c) -> std::optional<std::string> {
       if (!c.executor.has_command()) return std::nullopt;
       return EnvironmentProblem(c.executor.command(), "the executor's");
     }},
    {"executor-container",
     [](const ExecutorCheck& c) -> std::optional<std::string> {
       if (!c.executor.has_container()) return std::nullopt;
       if (auto problem = ContainerProblem(c.executor.container())) {
         return "the executor's " + *problem;
       }
       return std::nullopt;
     }},
    {"executor-unchanged",
     [](const ExecutorCheck& c) -> std::optional<std::string> {
       if (c.running == nullptr ||
           c.running->SerializeAsString() == c.executor.SerializeAsString()) {
         return std::nullopt;
       }
       return "executor '" + c.executor.executor_id().value() +
              "' already runs on the agent with another ExecutorInfo; a new task must give the "
              "same one, or use another executor id";
     }},
};

}  // namespace

std::optional<std::string> IdProblem(std::string_view id) {
  if (id.empty()) return std::string("is empty");
  if (id.size() > kMaxIdLength) {
    return "is " + std::to_string(id.size()) + " characters long; at most " +
           std::to_string(kMaxIdLength) + " are allowed";
  }
  if (id == "." || id == "..") return "'" + std::string(id) + "' is not allowed";
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '/' || c == '\\') {
      return "'" + std::string(id) + "' holds '/', '\\' or a control character";
    }
  }
  return std::nullopt;
}

Verdict CheckCall(const Call& call, const std::optional<std::string>& principal) {
  return FirstBroken(kCallRules, CallSubject{call, principal});
}

Verdict CheckFrameworkInfo(const FrameworkInfo& info) { return FirstBroken(kFrameworkRules, info); }

Verdict CheckOffers(const OfferCheck& check) { return FirstBroken(kOfferRules, check); }

Verdict CheckTask(const TaskCheck& check) { return FirstBroken(kTaskRules, check); }

Verdict CheckExecutor(const ExecutorCheck& check) { return FirstBroken(kExecutorRules, check); }

std::string DoesNotFit(const Resources& needed, const Resources& offered) {
  return "the offers hold " + offered.ToString() + ", less than the " + needed.ToString() +
         " needed (tasks and any new executor)";
}

}  // namespace mlaunch::cluster

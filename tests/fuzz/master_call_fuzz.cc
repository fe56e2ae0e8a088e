// Feeds arbitrary scheduler Calls to the embedded master's pure core, the
// way its HTTP edge (cluster/master_http.cc) does: parse (protobuf or JSON),
// CheckCall, then Subscribe, or CheckCaller and Handle, then Tick.
//
// Every input starts from a master with one agent (cpus, mem, disk, ports)
// and one subscribed framework holding offers, so that mutated ACCEPT,
// DECLINE, KILL, ACKNOWLEDGE, RECONCILE... calls reach deep. The steps of
// an input (master_call_input.h) may patch ids in the parsed call to the
// ones the master knows, let time pass, make the agent report on launched
// tasks, end the subscription stream, or restart the master and have the
// agent re-register with its tasks.
//
// Invariants, beyond never crashing, asserting or leaking: an agent's
// resources in use plus those offered never exceed its total; every event
// goes to a stream the master handed out; every launch is on the agent;
// every operator event and the operator state are complete messages.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/json_proto.h"
#include "cluster/master_core.h"
#include "cluster/operator_api.h"
#include "cluster/resources.h"
#include "tests/fuzz/master_call_input.h"

namespace {

using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;
using mlaunch::UnixMillis;
using mlaunch::cluster::MasterCore;
using mlaunch::cluster::MasterOutput;
namespace fuzz = mlaunch::fuzz;

constexpr UnixMillis kStart = 1'700'000'000'000;
constexpr int kMaxSteps = 32;

void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "master_call_fuzz: invariant broken: %s\n", what);
  std::abort();
}

mesos::v1::Resource Scalar(const std::string& name, double value) {
  mesos::v1::Resource r;
  r.set_name(name);
  r.set_type(mesos::v1::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  r.set_role("*");
  return r;
}

mesos::v1::AgentInfo AgentInfo() {
  mesos::v1::AgentInfo info;
  info.set_hostname("agent1");
  info.set_port(5051);
  *info.add_resources() = Scalar("cpus", 4);
  *info.add_resources() = Scalar("mem", 4096);
  *info.add_resources() = Scalar("disk", 10000);
  mesos::v1::Resource ports;
  ports.set_name("ports");
  ports.set_type(mesos::v1::Value::RANGES);
  auto* range = ports.mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(31009);
  ports.set_role("*");
  *info.add_resources() = ports;
  return info;
}

mlaunch::cluster::MasterOptions Options() {
  mlaunch::cluster::MasterOptions options;
  options.master_id = "M";
  options.heartbeat_interval = 5'000;
  options.new_uuid = [n = 0u]() mutable {
    std::string bytes(16, '\0');
    ++n;
    for (int i = 0; i < 4; ++i) bytes[15 - i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return bytes;
  };
  return options;
}

// Resources without their allocation, comparable with an agent's total.
mlaunch::cluster::Resources Unallocated(const mlaunch::cluster::Resources& resources) {
  mlaunch::cluster::Resources out;
  for (mesos::v1::Resource r : resources.list()) {
    r.clear_allocation_info();
    out.Add(r);
  }
  return out;
}

// A launched task as the agent knows it.
struct AgentTask {
  mesos::v1::FrameworkInfo framework;
  mesos::v1::ExecutorInfo executor;
  mesos::v1::TaskInfo info;
  mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
  std::string last_uuid;  // of the last update sent
};

class Driver {
 public:
  Driver() : core_(std::make_unique<MasterCore>(Options())) {
    agent_ = AgentInfo();
    agent_id_ = core_->AddAgent(agent_, "127.0.0.2");
    agent_.mutable_id()->set_value(agent_id_);
    Call subscribe;
    subscribe.set_type(Call::SUBSCRIBE);
    mesos::v1::FrameworkInfo* info = subscribe.mutable_subscribe()->mutable_framework_info();
    info->set_user("alice");
    info->set_name("fuzz");
    info->set_failover_timeout(60);
    info->add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::MULTI_ROLE);
    info->add_roles("*");
    info->add_roles("web");
    SubscribeAndTick(subscribe);
  }

  void Step(std::uint8_t flags, const std::string& bytes) {
    if (flags & fuzz::kAdvanceClock) now_ += 10'000;
    Call call;
    if (!mlaunch::cluster::DecodeCall(bytes, (flags & fuzz::kJson) != 0, &call).ok()) return;
    Patch(flags, &call);
    if (!mlaunch::cluster::CheckCall(call, std::nullopt)) {
      if (call.type() == Call::SUBSCRIBE) {
        SubscribeAndTick(call);
      } else {
        const std::optional<std::string> stream =
            (flags & fuzz::kOwnFramework) ? std::optional<std::string>(stream_id_) : std::nullopt;
        if (!core_->CheckCaller(call, std::nullopt, stream) && call.type() != Call::UNKNOWN &&
            call.type() != Call::UPDATE_FRAMEWORK && call.type() != Call::RECONCILE_OPERATIONS) {
          Deliver(core_->Handle(call, now_));
          Deliver(core_->Tick(now_));
        }
      }
    }
    if (flags & fuzz::kAgentReports) AgentReports();
    if (flags & fuzz::kStreamClosed) {
      Deliver(core_->StreamClosed(stream_id_, now_));
      streams_.erase(stream_id_);
    }
    if (flags & fuzz::kAgentReRegisters) MasterRestarts();
    CheckResources();
  }

 private:
  void SubscribeAndTick(const Call& call) {
    MasterCore::Subscription sub = core_->Subscribe(call, std::nullopt, now_);
    streams_.insert(sub.stream_id);
    for (const auto& e : sub.output.events) {
      if (e.stream_id == sub.stream_id && e.event.type() == Event::SUBSCRIBED &&
          (framework_id_.empty() || e.event.subscribed().framework_id().value() == framework_id_)) {
        framework_id_ = e.event.subscribed().framework_id().value();
        stream_id_ = sub.stream_id;
      }
    }
    Deliver(sub.output);
    Deliver(core_->Tick(now_));
  }

  // Replaces ids in `call` with known ones, as `flags` ask.
  void Patch(std::uint8_t flags, Call* call) const {
    if (flags & fuzz::kOwnFramework) {
      call->mutable_framework_id()->set_value(framework_id_);
      if (call->has_subscribe()) {
        call->mutable_subscribe()->mutable_framework_info()->mutable_id()->set_value(framework_id_);
      }
    }
    if (flags & fuzz::kLiveOffers) {
      auto offer = offers_.begin();
      auto patch = [&](mesos::v1::OfferID* id) {
        if (offer == offers_.end()) return;
        id->set_value(*offer++);
      };
      for (auto& id : *call->mutable_accept()->mutable_offer_ids()) patch(&id);
      offer = offers_.begin();
      for (auto& id : *call->mutable_decline()->mutable_offer_ids()) patch(&id);
    }
    if (flags & fuzz::kKnownAgent) {
      for (auto& op : *call->mutable_accept()->mutable_operations()) {
        for (auto& task : *op.mutable_launch()->mutable_task_infos()) {
          task.mutable_agent_id()->set_value(agent_id_);
        }
        for (auto& task : *op.mutable_launch_group()->mutable_task_group()->mutable_tasks()) {
          task.mutable_agent_id()->set_value(agent_id_);
        }
      }
      if (call->has_kill()) call->mutable_kill()->mutable_agent_id()->set_value(agent_id_);
      if (call->has_shutdown()) call->mutable_shutdown()->mutable_agent_id()->set_value(agent_id_);
      if (call->has_message()) call->mutable_message()->mutable_agent_id()->set_value(agent_id_);
      for (auto& task : *call->mutable_reconcile()->mutable_tasks()) {
        task.mutable_agent_id()->set_value(agent_id_);
      }
      if (call->has_acknowledge()) {
        call->mutable_acknowledge()->mutable_agent_id()->set_value(agent_id_);
        auto task = tasks_.find(call->acknowledge().task_id().value());
        if (task != tasks_.end()) call->mutable_acknowledge()->set_uuid(task->second.last_uuid);
      }
    }
  }

  void Deliver(const MasterOutput& out) {
    for (const auto& e : out.events) {
      Check(streams_.count(e.stream_id) > 0, "an event for a stream the master never opened");
      if (e.event.type() == Event::OFFERS) {
        for (const auto& offer : e.event.offers().offers()) offers_.insert(offer.id().value());
      }
      if (e.event.type() == Event::RESCIND) offers_.erase(e.event.rescind().offer_id().value());
    }
    for (const auto& closed : out.close_streams) streams_.erase(closed);
    for (const auto& request : out.agent_requests) {
      const auto* launch = std::get_if<mlaunch::cluster::LaunchTasks>(&request);
      if (launch == nullptr) continue;
      Check(launch->agent_id == agent_id_, "a launch on an agent that does not exist");
      for (const auto& task : launch->tasks) {
        AgentTask& known = tasks_[task.task_id().value()];
        known.framework = launch->framework;
        known.info = task;
        if (launch->executor) {
          known.executor = *launch->executor;
        } else {
          known.executor.mutable_executor_id()->set_value(task.task_id().value());
          known.executor.mutable_framework_id()->CopyFrom(launch->framework.id());
        }
      }
    }
    // What an operator would be sent of this change (cluster/operator_api.h),
    // and what GET_STATE would answer: complete messages, whatever the calls.
    mlaunch::cluster::MasterView view = core_->View();
    for (const auto& event : mlaunch::cluster::OperatorChanges(seen_, view, core_->master_info())) {
      Check(event.IsInitialized(), "an operator event lacks a required field");
    }
    Check(mlaunch::cluster::OperatorState(view, core_->master_info()).IsInitialized(),
          "the operator state lacks a required field");
    seen_ = view;
    // Offers used by an ACCEPT are gone; the master rescinds nothing then,
    // so forget offers the master no longer shows.
    std::set<std::string> live;
    for (const auto& framework : view.frameworks) {
      for (const auto& offer : framework.offers) live.insert(offer.id().value());
    }
    for (auto it = offers_.begin(); it != offers_.end();) {
      it = live.count(*it) > 0 ? std::next(it) : offers_.erase(it);
    }
  }

  void AgentReports() {
    for (auto& [id, task] : tasks_) {
      if (mlaunch::cluster::IsTerminal(task.state)) continue;
      task.state = task.state == mesos::v1::TASK_RUNNING ? mesos::v1::TASK_FINISHED
                                                         : mesos::v1::TASK_RUNNING;
      mesos::v1::TaskStatus status;
      *status.mutable_task_id() = task.info.task_id();
      status.set_state(task.state);
      status.set_source(mesos::v1::TaskStatus::SOURCE_EXECUTOR);
      status.mutable_agent_id()->set_value(agent_id_);
      task.last_uuid = std::string(12, 'u') + std::to_string(1000 + next_uuid_++ % 9000);
      status.set_uuid(task.last_uuid);
      Deliver(core_->StatusUpdate(agent_id_, task.framework.id().value(), status, now_));
    }
  }

  // The master restarts; the agent re-registers with what it runs.
  void MasterRestarts() {
    core_ = std::make_unique<MasterCore>(Options());
    streams_.clear();
    offers_.clear();
    std::map<std::string, mlaunch::cluster::RecoveredExecutor> executors;
    for (const auto& [id, task] : tasks_) {
      if (mlaunch::cluster::IsTerminal(task.state)) continue;
      auto& recovered = executors[task.executor.executor_id().value()];
      recovered.framework = task.framework;
      recovered.executor = task.executor;
      recovered.tasks.push_back({task.info, task.state});
    }
    std::vector<mlaunch::cluster::RecoveredExecutor> list;
    for (auto& [id, executor] : executors) list.push_back(executor);
    Deliver(core_->ReregisterAgent(agent_, "127.0.0.2", list));
    Deliver(core_->Tick(now_));
  }

  void CheckResources() const {
    for (const auto& agent : core_->View().agents) {
      mlaunch::cluster::Resources taken = Unallocated(agent.used);
      taken.Add(Unallocated(agent.offered));
      Check(mlaunch::cluster::Resources(agent.info.resources()).Contains(taken),
            "an agent's resources in use and offered exceed its total");
    }
  }

  std::unique_ptr<MasterCore> core_;
  UnixMillis now_ = kStart;
  mesos::v1::AgentInfo agent_;
  std::string agent_id_;
  std::string framework_id_;
  std::string stream_id_;
  std::set<std::string> streams_;
  std::set<std::string> offers_;
  std::map<std::string, AgentTask> tasks_;
  mlaunch::cluster::MasterView seen_;  // what an operator was last told of
  unsigned next_uuid_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Driver driver;
  size_t at = 0;
  for (int step = 0; step < kMaxSteps && at + 3 <= size; ++step) {
    const std::uint8_t flags = data[at];
    const size_t length =
        std::min<size_t>((size_t{data[at + 1]} << 8) | data[at + 2], size - at - 3);
    driver.Step(flags, std::string(reinterpret_cast<const char*>(data + at + 3), length));
    at += 3 + length;
  }
  return 0;
}

// The scheduler-core test fixture: a core built from a spec's text, fed
// synthetic offers and updates at an injected time (`now_`, moved by
// Advance()), every call and line it returns kept for the test to look at.
// No network, no sleeps.
#ifndef MLAUNCH_TESTS_LAUNCHER_SCHEDULER_FIXTURE_H_
#define MLAUNCH_TESTS_LAUNCHER_SCHEDULER_FIXTURE_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "launcher/compile.h"
#include "launcher/scheduler_core.h"
#include "launcher/spec/load.h"
#include "testing/offer_builder.h"

namespace mlaunch {

namespace v1 = mesos::v1;
using Call = v1::scheduler::Call;

inline v1::Offer MakeOffer(const std::string& id, const std::string& agent, double cpus = 4,
                           double mem = 4096) {
  return OfferBuilder(id, agent, "host-" + agent)
      .Scalar("cpus", cpus)
      .Scalar("mem", mem)
      .Ports(31000, 31099)
      .Build();
}

// A task of an earlier run, as the state file gives it back.
inline KnownTask Known(const std::string& task_id, const std::string& agent_id,
                       const std::string& hostname = "", std::map<std::string, uint32_t> ports = {},
                       bool healthy = false, std::map<std::string, std::string> attributes = {}) {
  KnownTask known;
  known.task_id = task_id;
  known.agent_id = agent_id;
  known.hostname = hostname;
  known.attributes = std::move(attributes);
  known.ports = std::move(ports);
  known.healthy = healthy;
  return known;
}

class Scheduler : public ::testing::Test {
 protected:
  // A run of `yaml`, subscribed; with `adopted`, a failover to those tasks.
  void Start(const std::string& yaml, const std::vector<KnownTask>& adopted = {}) {
    spec::LoadResult r = spec::Load(yaml, "t.yaml");
    for (const Diagnostic& d : r.diagnostics.Sorted()) {
      if (d.severity == Severity::kError) ADD_FAILURE() << Render(d);
    }
    plan_ = Compile(r.spec, {}, {"u"});
    CoreOptions options;
    options.new_uuid = [this] { return "u" + std::to_string(++uuids_); };
    options.waiting_report_every = 5000;
    core_ = std::make_unique<SchedulerCore>(plan_, options);
    if (!adopted.empty()) core_->Adopt(adopted, now_);
    v1::scheduler::Event::Subscribed s;
    s.mutable_framework_id()->set_value("fw-1");
    Take(core_->Subscribed(s, now_));
  }

  void Take(Output out) {
    save_ = out.save;
    calls_.insert(calls_.end(), out.calls.begin(), out.calls.end());
    for (const ViewEvent& v : out.view) {
      lines_.push_back(v.instance + " " + v.text);
      if (v.routine) routine_.push_back(lines_.back());
    }
    if (out.exit_code) exit_code_ = out.exit_code;
  }

  std::vector<Call> Calls(Call::Type type) const {
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (c.type() == type) out.push_back(c);
    }
    return out;
  }

  // Task ids launched so far, in order.
  std::vector<std::string> Launched() const {
    std::vector<std::string> ids;
    for (const Call& c : Calls(Call::ACCEPT)) {
      for (const auto& op : c.accept().operations()) {
        for (const v1::TaskInfo& t : op.launch().task_infos()) ids.push_back(t.task_id().value());
      }
    }
    return ids;
  }

  const v1::TaskInfo* LaunchedInfo(const std::string& id) const {
    for (const Call& c : calls_) {
      if (c.type() != Call::ACCEPT) continue;
      for (const auto& op : c.accept().operations()) {
        for (const v1::TaskInfo& t : op.launch().task_infos()) {
          if (t.task_id().value() == id) return &t;
        }
      }
    }
    return nullptr;
  }

  void Update(const std::string& task_id, v1::TaskState state, bool with_uuid = true,
              std::optional<bool> healthy = std::nullopt) {
    v1::TaskStatus s;
    s.mutable_task_id()->set_value(task_id);
    s.set_state(state);
    s.mutable_agent_id()->set_value("a1");
    if (with_uuid) s.set_uuid(std::string(16, static_cast<char>('A' + (updates_++ % 26))));
    if (healthy) s.set_healthy(*healthy);
    Take(core_->Update(s, now_));
  }

  bool Saw(const std::string& text) const {
    for (const std::string& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::string Lines() const {
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }

  void Advance(SteadyMillis ms) {
    now_ += ms;
    Take(core_->Tick(now_));
  }

  Plan plan_;
  std::unique_ptr<SchedulerCore> core_;
  std::vector<Call> calls_;
  std::vector<std::string> lines_;
  std::vector<std::string> routine_;  // the lines of routine events
  std::optional<int> exit_code_;
  Output::Save save_ = Output::Save::kNo;  // of the last output taken
  SteadyMillis now_ = 1'000'000;
  int uuids_ = 0;
  int updates_ = 0;
};

inline constexpr const char* kWeb = R"(version: 1
tasks:
  - name: web
    instances: 2
    resources: {cpus: 0.5, mem: 128}
    ports: [http]
    service: {payload: hi}
    restart: {max_attempts: 3, backoff: {initial: 1s, factor: 2, max: 3s}}
)";

}  // namespace mlaunch

#endif  // MLAUNCH_TESTS_LAUNCHER_SCHEDULER_FIXTURE_H_

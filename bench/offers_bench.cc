// Offer handling at scale, on the pure scheduler core (no network): one
// OFFERS event of N offers (one per agent, default 10,000) for a spec of M
// instances (default 100), then a simulated idle minute.
//
// Measured for ours (SchedulerCore) and for "classic", a scheduler written
// only here that behaves like the well-known tutorial one: it answers each
// offer on its own (a LAUNCH when a waiting instance fits, else one DECLINE
// per offer with a 1 s refusal) and never suppresses.
//
//   event:  the time to turn the one event into calls (median of R runs, a
//           fresh scheduler each run), how many calls of each type, and
//           their encoded size (what the master has to read).
//   idle:   the calls sent during one simulated minute after every instance
//           is placed and RUNNING. A small master model drives both sides
//           alike: every allocation interval (1 s, Mesos' default) it offers
//           every agent not under a refusal filter, unless the framework has
//           suppressed offers; DECLINE and ACCEPT filters hold an agent back
//           for their refuse_seconds. The scheduler's own clock ticks every
//           100 ms.
//
// Usage: offers_bench [AGENTS=10000] [INSTANCES=100] [RUNS=7] [unique|packed]
//                     [event]   (event: ours' OFFERS event only, for profiling)
//   unique: `hostname UNIQUE`, so one instance per agent (100 ACCEPTs);
//   packed: no constraint, instances packed onto agents while they fit.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "launcher/compile.h"
#include "launcher/scheduler_core.h"
#include "launcher/spec/load.h"
#include "testing/offer_builder.h"

namespace {

namespace v1 = mesos::v1;
using Call = v1::scheduler::Call;
using mlaunch::SteadyMillis;

constexpr double kTaskCpus = 0.5;
constexpr double kTaskMem = 128;

v1::Offer MakeOffer(int agent, int round) {
  std::string a = "agent-" + std::to_string(agent);
  return mlaunch::OfferBuilder("offer-" + std::to_string(round) + "-" + a, a, "host-" + a)
      .Scalar("cpus", 4)
      .Scalar("mem", 8192)
      .Scalar("disk", 10000)
      .Ports(31000, 32000)
      .Attribute("rack", "rack-" + std::to_string(agent % 40))
      .Build();
}

std::vector<v1::Offer> MakeOffers(int agents, int round) {
  std::vector<v1::Offer> offers;
  offers.reserve(agents);
  for (int a = 0; a < agents; ++a) offers.push_back(MakeOffer(a, round));
  return offers;
}

// The agent an offer id names ("offer-R-agent-A" -> A).
int AgentOf(const std::string& offer_id) {
  return std::atoi(offer_id.c_str() + offer_id.rfind('-') + 1);
}

struct Tally {
  std::map<std::string, int> by_type;
  size_t bytes = 0;
  int total = 0;
  void Add(const std::vector<Call>& calls) {
    for (const Call& c : calls) {
      by_type[Call::Type_Name(c.type())]++;
      bytes += c.ByteSizeLong();
      total++;
    }
  }
  std::string Describe() const {
    std::string s;
    for (const auto& [type, n] : by_type)
      s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + type;
    return s.empty() ? "none" : s;
  }
};

// The scheduler side the master model drives.
class Side {
 public:
  virtual ~Side() = default;
  virtual std::vector<Call> Offers(const std::vector<v1::Offer>& offers, SteadyMillis now) = 0;
  virtual std::vector<Call> Update(const v1::TaskStatus& status, SteadyMillis now) = 0;
  virtual std::vector<Call> Tick(SteadyMillis now) = 0;
};

class Ours : public Side {
 public:
  explicit Ours(const mlaunch::Plan& plan) : core_(plan, Options()) {
    v1::scheduler::Event::Subscribed s;
    s.mutable_framework_id()->set_value("fw-1");
    core_.Subscribed(s, 0);
  }
  std::vector<Call> Offers(const std::vector<v1::Offer>& offers, SteadyMillis now) override {
    return core_.Offers(offers, now).calls;
  }
  std::vector<Call> Update(const v1::TaskStatus& status, SteadyMillis now) override {
    return core_.Update(status, now).calls;
  }
  std::vector<Call> Tick(SteadyMillis now) override { return core_.Tick(now).calls; }

 private:
  mlaunch::CoreOptions Options() {
    mlaunch::CoreOptions o;
    o.new_uuid = [this] { return std::to_string(++uuids_); };
    return o;
  }
  int uuids_ = 0;
  mlaunch::SchedulerCore core_;
};

// The tutorial scheduler: each offer answered alone, first fit on cpus and
// mem, a 1 s refusal on every decline, never SUPPRESS.
class Classic : public Side {
 public:
  explicit Classic(int instances) : waiting_(instances) {}
  std::vector<Call> Offers(const std::vector<v1::Offer>& offers, SteadyMillis) override {
    std::vector<Call> calls;
    for (const v1::Offer& offer : offers) {
      double cpus = 0, mem = 0;
      for (const v1::Resource& r : offer.resources()) {
        if (r.name() == "cpus") cpus = r.scalar().value();
        if (r.name() == "mem") mem = r.scalar().value();
      }
      Call call;
      call.mutable_framework_id()->set_value("fw-1");
      if (waiting_ > 0 && cpus >= kTaskCpus && mem >= kTaskMem) {
        call.set_type(Call::ACCEPT);
        Call::Accept* a = call.mutable_accept();
        *a->add_offer_ids() = offer.id();
        v1::Offer::Operation* op = a->add_operations();
        op->set_type(v1::Offer::Operation::LAUNCH);
        v1::TaskInfo* t = op->mutable_launch()->add_task_infos();
        t->set_name("web");
        t->mutable_task_id()->set_value("web." + std::to_string(launched_++));
        *t->mutable_agent_id() = offer.agent_id();
        v1::Resource* c = t->add_resources();
        c->set_name("cpus");
        c->set_type(v1::Value::SCALAR);
        c->mutable_scalar()->set_value(kTaskCpus);
        v1::Resource* m = t->add_resources();
        m->set_name("mem");
        m->set_type(v1::Value::SCALAR);
        m->mutable_scalar()->set_value(kTaskMem);
        t->mutable_command()->set_value("./serve");
        a->mutable_filters()->set_refuse_seconds(1);
        --waiting_;
      } else {
        call.set_type(Call::DECLINE);
        *call.mutable_decline()->add_offer_ids() = offer.id();
        call.mutable_decline()->mutable_filters()->set_refuse_seconds(1);
      }
      calls.push_back(std::move(call));
    }
    return calls;
  }
  std::vector<Call> Update(const v1::TaskStatus& status, SteadyMillis) override {
    std::vector<Call> calls;
    if (status.has_uuid()) {
      Call call;
      call.set_type(Call::ACKNOWLEDGE);
      call.mutable_framework_id()->set_value("fw-1");
      call.mutable_acknowledge()->set_uuid(status.uuid());
      *call.mutable_acknowledge()->mutable_task_id() = status.task_id();
      *call.mutable_acknowledge()->mutable_agent_id() = status.agent_id();
      calls.push_back(std::move(call));
    }
    return calls;
  }
  std::vector<Call> Tick(SteadyMillis) override { return {}; }

 private:
  int waiting_;
  int launched_ = 0;
};

// This thread's CPU time, in ms: steadier than wall time on a shared machine.
double CpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// The master model (see the top of the file). Offers every agent at t=0,
// answers launches with TASK_RUNNING, then runs `idle_ms` of simulated time
// and returns the calls the scheduler sent during it.
Tally SimulateIdle(Side& side, int agents, SteadyMillis idle_ms, Tally& placing) {
  std::vector<SteadyMillis> filtered_until(agents, 0);
  bool suppressed = false;
  int round = 0;
  int updates = 0;
  Tally idle;
  Tally* tally = &placing;
  // Applies calls to the model; TASK_RUNNING for each launch, answered
  // later in the same step.
  std::vector<v1::TaskStatus> pending;
  auto apply = [&](const std::vector<Call>& calls, SteadyMillis now) {
    tally->Add(calls);
    for (const Call& c : calls) {
      switch (c.type()) {
        case Call::SUPPRESS:
          suppressed = true;
          break;
        case Call::REVIVE:
          suppressed = false;
          std::fill(filtered_until.begin(), filtered_until.end(), 0);
          break;
        case Call::DECLINE:
          for (const v1::OfferID& id : c.decline().offer_ids()) {
            filtered_until[AgentOf(id.value())] =
                now + static_cast<SteadyMillis>(c.decline().filters().refuse_seconds() * 1000);
          }
          break;
        case Call::ACCEPT:
          for (const v1::OfferID& id : c.accept().offer_ids()) {
            filtered_until[AgentOf(id.value())] =
                now + static_cast<SteadyMillis>(c.accept().filters().refuse_seconds() * 1000);
          }
          for (const v1::Offer::Operation& op : c.accept().operations()) {
            for (const v1::TaskInfo& t : op.launch().task_infos()) {
              v1::TaskStatus s;
              *s.mutable_task_id() = t.task_id();
              *s.mutable_agent_id() = t.agent_id();
              s.set_state(v1::TASK_RUNNING);
              s.set_uuid("uuid-" + std::to_string(++updates));
              pending.push_back(s);
            }
          }
          break;
        default:
          break;
      }
    }
  };
  auto settle = [&](SteadyMillis now) {
    while (!pending.empty()) {
      std::vector<v1::TaskStatus> statuses;
      statuses.swap(pending);
      for (const v1::TaskStatus& s : statuses) apply(side.Update(s, now), now);
    }
  };
  auto allocate = [&](SteadyMillis now) {
    if (suppressed) return;
    std::vector<v1::Offer> offers;
    ++round;
    for (int a = 0; a < agents; ++a) {
      if (filtered_until[a] <= now) offers.push_back(MakeOffer(a, round));
    }
    if (!offers.empty()) apply(side.Offers(offers, now), now);
  };

  // Placement: the first allocation, the updates, and the core's next tick.
  allocate(0);
  settle(0);
  apply(side.Tick(100), 100);
  // The idle minute, from the next allocation on.
  tally = &idle;
  const SteadyMillis start = 1000;
  for (SteadyMillis now = start; now < start + idle_ms; now += 100) {
    if ((now - start) % 1000 == 0) allocate(now);
    settle(now);
    apply(side.Tick(now), now);
  }
  return idle;
}

}  // namespace

int main(int argc, char** argv) {
  int agents = argc > 1 ? std::atoi(argv[1]) : 10000;
  int instances = argc > 2 ? std::atoi(argv[2]) : 100;
  int runs = argc > 3 ? std::atoi(argv[3]) : 7;
  std::string mode = argc > 4 ? argv[4] : "unique";
  const bool event_only = argc > 5 && std::string(argv[5]) == "event";
  if (agents < 1 || instances < 1 || runs < 1 || (mode != "unique" && mode != "packed")) {
    std::fprintf(stderr, "usage: offers_bench [AGENTS] [INSTANCES] [RUNS] [unique|packed]\n");
    return 2;
  }

  std::string yaml =
      "version: 1\ntasks:\n  - name: web\n    instances: " + std::to_string(instances) +
      "\n    resources: {cpus: 0.5, mem: 128}\n"
      "    ports: [{name: http}]\n"
      "    service: {port: http, payload: \"hello ${instance}\"}\n";
  if (mode == "unique") yaml += "    constraints: [[hostname, UNIQUE]]\n";
  mlaunch::spec::LoadResult loaded = mlaunch::spec::Load(yaml, "bench.yaml");
  if (!loaded.diagnostics.ok()) {
    std::fprintf(stderr, "spec invalid: %s\n",
                 mlaunch::Render(loaded.diagnostics.Sorted()[0]).c_str());
    return 1;
  }
  mlaunch::Plan plan = mlaunch::Compile(loaded.spec, {}, {"bench"});
  const std::vector<v1::Offer> offers = MakeOffers(agents, 0);

  std::printf("one OFFERS event: %d offers (one per agent), %d instances (%s), %d runs\n", agents,
              instances, mode.c_str(), runs);
  std::printf("%-8s %12s %12s %12s %10s  %s\n", "side", "median ms", "worst ms", "median cpu",
              "KiB sent", "calls");
  for (const char* name : {"ours", "classic"}) {
    if (event_only && std::string(name) != "ours") continue;
    std::vector<double> ms, cpu;
    Tally tally;
    for (int r = 0; r < runs; ++r) {
      std::unique_ptr<Side> side;
      if (std::string(name) == "ours")
        side = std::make_unique<Ours>(plan);
      else
        side = std::make_unique<Classic>(instances);
      auto start = std::chrono::steady_clock::now();
      double cpu_start = CpuMs();
      std::vector<Call> calls = side->Offers(offers, 0);
      cpu.push_back(CpuMs() - cpu_start);
      ms.push_back(Ms(std::chrono::steady_clock::now() - start));
      if (r == 0) tally.Add(calls);
    }
    std::printf("%-8s %12.2f %12.2f %12.2f %10.0f  %d: %s\n", name, Median(ms),
                *std::max_element(ms.begin(), ms.end()), Median(cpu),
                static_cast<double>(tally.bytes) / 1024, tally.total, tally.Describe().c_str());
  }

  if (event_only) return 0;
  std::printf("\nafter placement, one simulated idle minute (allocation every 1 s):\n");
  std::printf("%-8s %10s %10s  %s\n", "side", "calls", "KiB sent",
              "placing (all calls until RUNNING)");
  for (const char* name : {"ours", "classic"}) {
    std::unique_ptr<Side> side;
    if (std::string(name) == "ours")
      side = std::make_unique<Ours>(plan);
    else
      side = std::make_unique<Classic>(instances);
    Tally placing;
    Tally idle = SimulateIdle(*side, agents, 60 * 1000, placing);
    std::printf("%-8s %10d %10.0f  %d: %s\n", name, idle.total,
                static_cast<double>(idle.bytes) / 1024, placing.total, placing.Describe().c_str());
    if (idle.total) std::printf("         idle calls: %s\n", idle.Describe().c_str());
  }
  return 0;
}

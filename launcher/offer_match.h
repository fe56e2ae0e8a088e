// Offer matching: which waiting instances go into which offers, and why the
// others do not fit. Pure: offers and placements in, ACCEPT plans, offers to
// decline and reasons out. No I/O, no clock.
//
// Offers are grouped by agent and allocation role, since one ACCEPT may only
// use offers of one agent allocated to one role. Within a group, instances
// are placed in the order given while they fit, so several instances and
// several offers can go into one ACCEPT. Launched resources are copies of
// the offered ones (role, reservations and allocation_info kept), cut to the
// amounts asked. Constraints count instances already placed and those placed
// earlier in the same call.
#ifndef MLAUNCH_LAUNCHER_OFFER_MATCH_H_
#define MLAUNCH_LAUNCHER_OFFER_MATCH_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "launcher/plan.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch {

// The offers of one event, wherever they are kept: in the parsed event
// itself (the run reads them in place, in the event's arena), or in a vector
// or a braced list (tests, benchmarks). A view, valid while the offers are.
class OfferList {
 public:
  OfferList(const google::protobuf::RepeatedPtrField<mesos::v1::Offer>& offers)
      : offers_(offers.pointer_begin(), offers.pointer_end()) {}
  OfferList(const std::vector<mesos::v1::Offer>& offers) { Take(offers); }
  OfferList(std::initializer_list<mesos::v1::Offer> offers) { Take(offers); }

  std::size_t size() const { return offers_.size(); }
  auto begin() const { return offers_.begin(); }  // each a const Offer*
  auto end() const { return offers_.end(); }

 private:
  template <typename Offers>
  void Take(const Offers& offers) {
    offers_.reserve(offers.size());
    for (const mesos::v1::Offer& offer : offers) offers_.push_back(&offer);
  }

  std::vector<const mesos::v1::Offer*> offers_;
};

// What constraints look at on an agent.
struct AgentFacts {
  std::string agent_id;
  std::string hostname;
  std::map<std::string, std::string> attributes;  // name -> value as text
  // The agent's own HTTP endpoint, "http://IP:PORT" (Offer.url); "" when
  // the offer did not say.
  std::string url = {};

  // From an offer: attributes formatted as Marathon does (text as is,
  // scalars as numbers, ranges "[1-2,5-5]", sets "{a,b}").
  static AgentFacts Of(const mesos::v1::Offer& offer);
};

// An instance that is running or on its way, for constraints.
struct Placement {
  std::string task;
  AgentFacts agent;
};

// An instance waiting for resources.
struct WaitingInstance {
  const TaskPlan* task = nullptr;
  int64_t index = 0;
};

struct InstanceLaunch {
  WaitingInstance instance;
  std::vector<mesos::v1::Resource> task_resources;      // for TaskInfo.resources
  std::vector<mesos::v1::Resource> executor_resources;  // for ExecutorInfo.resources
  std::map<std::string, uint32_t> ports;                // port name -> number
  AgentFacts agent;
};

// One ACCEPT: offers of one agent and role, and what to launch with them.
struct AcceptPlan {
  std::string agent_id;
  std::vector<mesos::v1::OfferID> offer_ids;
  std::vector<InstanceLaunch> launches;
};

// Why an instance did not fit one agent's offers.
struct Miss {
  enum class Kind { kRole, kConstraint, kCpus, kMem, kDisk, kGpus, kPorts };
  Kind kind = Kind::kCpus;
  std::string hostname;
  double needed = 0;   // for resources: what one instance needs (task + executor)
  double offered = 0;  // ... and what the agent's offers had left
  std::string detail;  // for constraints, roles and ports: what failed
  // For constraints: the constraint alone ("[hostname, UNIQUE]"), the same
  // on every agent, where `detail` names the agent's value; for roles, the
  // same as `detail`. What the waiting report counts misses by.
  std::string rule;
};

struct MatchOutcome {
  std::vector<AcceptPlan> accepts;
  std::vector<mesos::v1::OfferID> unused;  // to decline, in one call
  // For each waiting instance that was not placed, why (one entry per
  // agent group and failed dimension), keyed "task.index".
  std::map<std::string, std::vector<Miss>> misses;
};

MatchOutcome MatchOffers(const OfferList& offers, const std::vector<WaitingInstance>& waiting,
                         std::vector<Placement> placed);

// Whether `agent` satisfies `constraint` for another instance of `task`,
// given where its instances are; on failure `why` says what failed.
// `c` ready for SatisfiesConstraint: a LIKE/UNLIKE pattern compiled, once
// (copies share it). A pattern that does not compile matches nothing;
// --check and --plan refuse such a spec first.
spec::Constraint ForMatching(spec::Constraint c);

bool SatisfiesConstraint(const spec::Constraint& constraint, const std::string& task,
                         const AgentFacts& agent, const std::vector<Placement>& placed,
                         std::string& why);

// "[hostname, UNIQUE]", "[rack, IS, r1]": a constraint as people write it.
std::string ConstraintLabel(const spec::Constraint& constraint);

std::string MissKindName(Miss::Kind kind);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_OFFER_MATCH_H_

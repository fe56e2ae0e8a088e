#include "launcher/offer_match.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;

// Mesos counts scalars in thousandths; so do we, to avoid float dust.
int64_t Milli(double value) { return std::llround(value * 1000.0); }
double FromMilli(int64_t milli) { return static_cast<double>(milli) / 1000.0; }

std::string FormatNumber(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// Offered resources a plain task may use: no volumes, revocable or shared
// resources.
bool Usable(const v1::Resource& r) {
  return !r.has_disk() && !r.has_revocable() && !r.has_shared();
}

std::string AllocationRole(const v1::Offer& offer) {
  if (offer.has_allocation_info()) return offer.allocation_info().role();
  for (const v1::Resource& r : offer.resources()) {
    if (r.has_allocation_info()) return r.allocation_info().role();
  }
  return "*";
}

// What is left of one agent's offers while instances are placed into them.
class Pool {
 public:
  struct Item {
    v1::Resource resource;  // amounts left
    size_t offer = 0;       // index into the group's offers
  };

  explicit Pool(std::vector<Item> items) : items_(std::move(items)) {}

  int64_t Total(const std::string& name) const {
    int64_t sum = 0;
    for (const Item& i : items_) {
      if (i.resource.name() == name && i.resource.type() == v1::Value::SCALAR) {
        sum += Milli(i.resource.scalar().value());
      }
    }
    return sum;
  }

  size_t FreePorts() const {
    size_t n = 0;
    for (const Item& i : items_) {
      if (i.resource.name() != "ports" || i.resource.type() != v1::Value::RANGES) continue;
      for (const v1::Value::Range& r : i.resource.ranges().range()) n += r.end() - r.begin() + 1;
    }
    return n;
  }

  // Takes `milli` of scalar `name`, appending the pieces to `out`.
  bool TakeScalar(const std::string& name, int64_t milli, std::vector<v1::Resource>& out) {
    for (Item& i : items_) {
      if (milli <= 0) break;
      if (i.resource.name() != name || i.resource.type() != v1::Value::SCALAR) continue;
      int64_t have = Milli(i.resource.scalar().value());
      int64_t take = std::min(have, milli);
      if (take <= 0) continue;
      v1::Resource piece = i.resource;
      piece.mutable_scalar()->set_value(FromMilli(take));
      out.push_back(piece);
      i.resource.mutable_scalar()->set_value(FromMilli(have - take));
      used_.insert(i.offer);
      milli -= take;
    }
    return milli <= 0;
  }

  // Takes port `wanted` (or, without one, the lowest free port).
  std::optional<uint32_t> TakePort(std::optional<uint32_t> wanted, std::vector<v1::Resource>& out) {
    for (Item& i : items_) {
      if (i.resource.name() != "ports" || i.resource.type() != v1::Value::RANGES) continue;
      auto* ranges = i.resource.mutable_ranges()->mutable_range();
      for (int k = 0; k < ranges->size(); ++k) {
        v1::Value::Range& r = (*ranges)[k];
        uint64_t port = wanted ? *wanted : r.begin();
        if (port < r.begin() || port > r.end()) continue;
        v1::Resource piece = i.resource;
        piece.mutable_ranges()->clear_range();
        v1::Value::Range* one = piece.mutable_ranges()->add_range();
        one->set_begin(port);
        one->set_end(port);
        out.push_back(piece);
        // Cut the port out of the range.
        uint64_t begin = r.begin(), end = r.end();
        ranges->DeleteSubrange(k, 1);
        if (begin < port) {
          v1::Value::Range* low = ranges->Add();
          low->set_begin(begin);
          low->set_end(port - 1);
        }
        if (port < end) {
          v1::Value::Range* high = ranges->Add();
          high->set_begin(port + 1);
          high->set_end(end);
        }
        std::sort(ranges->begin(), ranges->end(),
                  [](const v1::Value::Range& a, const v1::Value::Range& b) {
                    return a.begin() < b.begin();
                  });
        used_.insert(i.offer);
        return static_cast<uint32_t>(port);
      }
    }
    return std::nullopt;
  }

  const std::set<size_t>& used() const { return used_; }

 private:
  std::vector<Item> items_;
  std::set<size_t> used_;
};

// Ports resources of one instance, merged into as few Resource entries as
// the offered ones allow (one per offered item).
std::vector<v1::Resource> MergePorts(std::vector<v1::Resource> pieces) {
  std::vector<v1::Resource> merged;
  for (v1::Resource& piece : pieces) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const v1::Resource& m) {
      v1::Resource a = m, b = piece;
      a.clear_ranges();
      b.clear_ranges();
      return a.SerializeAsString() == b.SerializeAsString();
    });
    if (same == merged.end()) {
      merged.push_back(std::move(piece));
    } else {
      *same->mutable_ranges()->add_range() = piece.ranges().range(0);
    }
  }
  return merged;
}

struct Group {
  std::string agent_id;
  std::string role;
  AgentFacts facts;
  std::vector<const v1::Offer*> offers;
};

std::string Key(const WaitingInstance& w) { return w.task->name + "." + std::to_string(w.index); }

// Tries to take one instance out of `pool`; on failure adds the reasons to
// `misses` and leaves `pool` as it was.
std::optional<InstanceLaunch> Fit(const WaitingInstance& w, const Group& group, Pool& pool,
                                  std::vector<Miss>& misses) {
  const MatchRule& m = w.task->match;
  Pool trial = pool;
  InstanceLaunch launch;
  launch.instance = w;
  launch.agent = group.facts;
  bool fits = true;

  struct Dimension {
    Miss::Kind kind;
    const char* name;
    double task;
    double executor;
  };
  for (const Dimension& d : {Dimension{Miss::Kind::kCpus, "cpus", m.task.cpus, m.executor.cpus},
                             Dimension{Miss::Kind::kMem, "mem", m.task.mem, m.executor.mem},
                             Dimension{Miss::Kind::kDisk, "disk", m.task.disk, m.executor.disk},
                             Dimension{Miss::Kind::kGpus, "gpus", m.task.gpus, m.executor.gpus}}) {
    int64_t need = Milli(d.task) + Milli(d.executor);
    if (need <= 0) continue;
    int64_t have = trial.Total(d.name);
    if (have < need) {
      misses.push_back({d.kind, group.facts.hostname, FromMilli(need), FromMilli(have), "", ""});
      fits = false;
      continue;
    }
    bool took = trial.TakeScalar(d.name, Milli(d.task), launch.task_resources) &&
                trial.TakeScalar(d.name, Milli(d.executor), launch.executor_resources);
    fits = fits && took;
  }

  std::vector<v1::Resource> port_pieces;
  size_t free_ports = trial.FreePorts();
  for (const PortAsk& ask : m.ports) {
    std::optional<uint32_t> port = trial.TakePort(ask.static_port, port_pieces);
    if (!port) {
      std::string detail = ask.static_port ? "port " + std::to_string(*ask.static_port) + " (" +
                                                 ask.name + ") is not offered"
                                           : std::to_string(m.ports.size()) + " ports needed, " +
                                                 std::to_string(free_ports) + " offered";
      misses.push_back({Miss::Kind::kPorts, group.facts.hostname,
                        static_cast<double>(m.ports.size()), static_cast<double>(free_ports),
                        detail, ""});
      fits = false;
      break;
    }
    launch.ports[ask.name] = *port;
  }
  if (!fits) return std::nullopt;
  for (v1::Resource& r : MergePorts(std::move(port_pieces))) {
    launch.task_resources.push_back(std::move(r));
  }
  pool = std::move(trial);
  return launch;
}

std::optional<std::string> FieldValue(const std::string& field, const AgentFacts& agent) {
  if (field == "hostname" || field == "@hostname") return agent.hostname;
  auto it = agent.attributes.find(field);
  if (it == agent.attributes.end()) return std::nullopt;
  return it->second;
}

bool FullMatch(const spec::Constraint& c, const std::string& text) {
  return c.regex && c.regex->FullMatch(text);
}

}  // namespace

AgentFacts AgentFacts::Of(const v1::Offer& offer) {
  AgentFacts facts;
  facts.agent_id = offer.agent_id().value();
  facts.hostname = offer.hostname();
  if (offer.has_url() && offer.url().address().port() > 0) {
    const v1::Address& a = offer.url().address();
    const std::string host = a.has_ip() ? a.ip() : a.hostname();
    facts.url = (offer.url().scheme().empty() ? "http" : offer.url().scheme()) + "://" +
                (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                std::to_string(a.port());
  }
  for (const v1::Attribute& a : offer.attributes()) {
    std::string value;
    switch (a.type()) {
      case v1::Value::SCALAR:
        value = FormatNumber(a.scalar().value());
        break;
      case v1::Value::RANGES: {
        value = "[";
        for (int i = 0; i < a.ranges().range_size(); ++i) {
          const v1::Value::Range& r = a.ranges().range(i);
          value += (i ? "," : "") + std::to_string(r.begin()) + "-" + std::to_string(r.end());
        }
        value += "]";
        break;
      }
      case v1::Value::SET: {
        value = "{";
        for (int i = 0; i < a.set().item_size(); ++i) value += (i ? "," : "") + a.set().item(i);
        value += "}";
        break;
      }
      case v1::Value::TEXT:
        value = a.text().value();
        break;
    }
    facts.attributes[a.name()] = value;
  }
  return facts;
}

spec::Constraint ForMatching(spec::Constraint c) {
  if (c.op == spec::ConstraintOp::kLike || c.op == spec::ConstraintOp::kUnlike) {
    Result<Regex> compiled = Regex::Compile(c.value);
    if (compiled.ok()) c.regex = std::move(compiled).value();
  }
  return c;
}

bool SatisfiesConstraint(const spec::Constraint& c, const std::string& task,
                         const AgentFacts& agent, const std::vector<Placement>& placed,
                         std::string& why) {
  std::optional<std::string> value = FieldValue(c.field, agent);
  // Values of the agents this task's instances are on, with their counts.
  std::map<std::string, int> counts;
  for (const Placement& p : placed) {
    if (p.task != task) continue;
    if (std::optional<std::string> v = FieldValue(c.field, p.agent)) counts[*v]++;
  }
  auto fail = [&](std::string text) {
    why = ConstraintLabel(c) + ": " + text;
    return false;
  };
  if (!value) {
    if (c.op == spec::ConstraintOp::kUnlike) return true;
    return fail("agent has no '" + c.field + "'");
  }
  switch (c.op) {
    case spec::ConstraintOp::kUnique:
      if (counts.count(*value)) return fail("an instance already runs on " + *value);
      return true;
    case spec::ConstraintOp::kCluster: {
      std::string wanted = c.value;
      if (wanted.empty() && !counts.empty()) wanted = counts.begin()->first;
      if (!wanted.empty() && *value != wanted) return fail("'" + *value + "' is not " + wanted);
      return true;
    }
    case spec::ConstraintOp::kIs:
      if (*value != c.value) return fail("'" + *value + "' is not " + c.value);
      return true;
    case spec::ConstraintOp::kLike:
      if (!FullMatch(c, *value)) return fail("'" + *value + "' does not match");
      return true;
    case spec::ConstraintOp::kUnlike:
      if (FullMatch(c, *value)) return fail("'" + *value + "' matches");
      return true;
    case spec::ConstraintOp::kMaxPer: {
      int limit = c.value.empty() ? 1 : std::atoi(c.value.c_str());
      if (counts[*value] >= limit) {
        return fail(std::to_string(counts[*value]) + " instances already on " + *value);
      }
      return true;
    }
    case spec::ConstraintOp::kGroupBy: {
      // Even spread: this value may take one more only if no value (of the
      // `groups` expected, or of those seen) has fewer.
      size_t groups = c.value.empty() ? 0 : static_cast<size_t>(std::atoi(c.value.c_str()));
      int fewest = 0;
      if (counts.size() >= groups && !counts.empty()) {
        fewest = std::min_element(counts.begin(), counts.end(), [](auto& a, auto& b) {
                   return a.second < b.second;
                 })->second;
      }
      int here = counts.count(*value) ? counts[*value] : 0;
      if (here > fewest) {
        return fail("'" + *value + "' has " + std::to_string(here) +
                    " instances, another group has " + std::to_string(fewest));
      }
      return true;
    }
  }
  return true;
}

std::string ConstraintLabel(const spec::Constraint& c) {
  return "[" + c.field + ", " + std::string(spec::Name(c.op)) +
         (c.value.empty() ? "" : ", " + c.value) + "]";
}

std::string MissKindName(Miss::Kind kind) {
  switch (kind) {
    case Miss::Kind::kRole:
      return "role";
    case Miss::Kind::kConstraint:
      return "constraint";
    case Miss::Kind::kCpus:
      return "cpus";
    case Miss::Kind::kMem:
      return "mem";
    case Miss::Kind::kDisk:
      return "disk";
    case Miss::Kind::kGpus:
      return "gpus";
    case Miss::Kind::kPorts:
      return "ports";
  }
  return "?";
}

MatchOutcome MatchOffers(const OfferList& offers, const std::vector<WaitingInstance>& waiting,
                         std::vector<Placement> placed) {
  MatchOutcome outcome;
  // Groups in the order their first offer came; found by (agent, role) in a
  // map, since one event may hold thousands of agents.
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> group_of;  // "agent\0role" -> index
  group_of.reserve(offers.size());
  for (const v1::Offer* offer : offers) {
    std::string role = AllocationRole(*offer);
    auto [it, added] = group_of.try_emplace(offer->agent_id().value() + '\0' + role, groups.size());
    if (added) groups.push_back({offer->agent_id().value(), role, {}, {}});
    groups[it->second].offers.push_back(offer);
  }

  std::vector<bool> done(waiting.size(), false);
  size_t left = waiting.size();
  for (Group& group : groups) {
    if (left == 0) {  // everything placed: the rest is declined unexamined
      for (const v1::Offer* offer : group.offers) outcome.unused.push_back(offer->id());
      continue;
    }
    group.facts = AgentFacts::Of(*group.offers.front());
    // A task's constraints on this agent, as last checked: the answer holds
    // until another instance is placed (`placed` only grows).
    struct Checked {
      size_t placed_size;
      std::string why;   // empty: allowed
      std::string rule;  // the constraint that failed
    };
    std::map<const TaskPlan*, Checked> checked;
    std::vector<Pool::Item> items;
    for (size_t o = 0; o < group.offers.size(); ++o) {
      for (const v1::Resource& r : group.offers[o]->resources()) {
        if (Usable(r)) items.push_back({r, o});
      }
    }
    Pool pool(std::move(items));
    AcceptPlan accept;
    accept.agent_id = group.agent_id;
    for (size_t i = 0; i < waiting.size(); ++i) {
      if (done[i]) continue;
      const WaitingInstance& w = waiting[i];
      std::vector<Miss>& misses = outcome.misses[Key(w)];
      const auto& roles = w.task->match.roles;
      if (std::find(roles.begin(), roles.end(), group.role) == roles.end()) {
        std::string why = "offered for role '" + group.role + "'";
        misses.push_back({Miss::Kind::kRole, group.facts.hostname, 0, 0, why, why});
        continue;
      }
      auto known = checked.find(w.task);
      if (known == checked.end() || known->second.placed_size != placed.size()) {
        std::string why, rule;
        for (const spec::Constraint& c : w.task->match.constraints) {
          if (!SatisfiesConstraint(c, w.task->name, group.facts, placed, why)) {
            rule = ConstraintLabel(c);
            break;
          }
          why.clear();
        }
        known =
            checked
                .insert_or_assign(w.task, Checked{placed.size(), std::move(why), std::move(rule)})
                .first;
      }
      if (!known->second.why.empty()) {
        misses.push_back({Miss::Kind::kConstraint, group.facts.hostname, 0, 0, known->second.why,
                          known->second.rule});
        continue;
      }
      if (std::optional<InstanceLaunch> launch = Fit(w, group, pool, misses)) {
        placed.push_back({w.task->name, group.facts});
        accept.launches.push_back(std::move(*launch));
        done[i] = true;
        --left;
      }
    }
    for (size_t o = 0; o < group.offers.size(); ++o) {
      if (pool.used().count(o)) {
        accept.offer_ids.push_back(group.offers[o]->id());
      } else {
        outcome.unused.push_back(group.offers[o]->id());
      }
    }
    if (!accept.launches.empty()) outcome.accepts.push_back(std::move(accept));
  }
  for (size_t i = 0; i < waiting.size(); ++i) {
    if (done[i]) outcome.misses.erase(Key(waiting[i]));
  }
  return outcome;
}

}  // namespace mlaunch

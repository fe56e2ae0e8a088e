// The one way the embedded cluster states what it requires of a message: a
// table of rules, each a name and a check that says, in our words, what is
// wrong (nullopt while the rule holds). The first rule broken, in table
// order, is the one reported. Used for scheduler calls, tasks, executors
// and offers (master_rules.h) and for executor calls (agent.cc).
#ifndef MLAUNCH_CLUSTER_RULE_TABLE_H_
#define MLAUNCH_CLUSTER_RULE_TABLE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mlaunch::cluster {

struct BrokenRule {
  std::string_view rule;  // the rule's name, e.g. "task-id"
  std::string message;    // ours, for people
};
using Verdict = std::optional<BrokenRule>;

template <typename Subject>
struct Rule {
  std::string_view name;
  std::optional<std::string> (*broken)(const Subject&);
};

template <typename Subject, std::size_t N>
Verdict FirstBroken(const Rule<Subject> (&rules)[N], const Subject& subject) {
  for (const Rule<Subject>& rule : rules) {
    if (auto message = rule.broken(subject)) return BrokenRule{rule.name, std::move(*message)};
  }
  return std::nullopt;
}

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_RULE_TABLE_H_

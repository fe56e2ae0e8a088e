#include "launcher/offer_match.h"

#include <gtest/gtest.h>

#include "launcher/compile.h"
#include "launcher/spec/load.h"
#include "testing/offer_builder.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;

v1::Offer Big(const std::string& id, const std::string& agent, const std::string& host) {
  return OfferBuilder(id, agent, host)
      .Scalar("cpus", 4)
      .Scalar("mem", 4096)
      .Scalar("disk", 10000)
      .Ports(31000, 31009)
      .Build();
}

class OfferMatch : public ::testing::Test {
 protected:
  const TaskPlan& Task(const std::string& yaml_tasks) {
    spec::LoadResult r =
        spec::Load("version: 1\nframework: {roles: ['*', web]}\ntasks:\n" + yaml_tasks, "t.yaml");
    for (const Diagnostic& d : r.diagnostics.Sorted()) {
      if (d.severity == Severity::kError) ADD_FAILURE() << Render(d);
    }
    plan_ = Compile(r.spec, {}, {"u"});
    return plan_.tasks[0];
  }
  std::vector<WaitingInstance> All(const TaskPlan& t) {
    std::vector<WaitingInstance> w;
    for (int64_t i = 0; i < t.instances; ++i) w.push_back({&t, i});
    return w;
  }
  Plan plan_;
};

double Sum(const std::vector<v1::Resource>& rs, const std::string& name) {
  double sum = 0;
  for (const v1::Resource& r : rs) {
    if (r.name() == name) sum += r.scalar().value();
  }
  return sum;
}

TEST_F(OfferMatch, PacksSeveralInstancesIntoOneAcceptPerAgent) {
  const TaskPlan& t = Task(
      "  - {name: web, instances: 3, resources: {cpus: 0.5, mem: 128}, "
      "ports: [http], service: {payload: hi}}\n");
  MatchOutcome out = MatchOffers({Big("o1", "a1", "h1")}, All(t), {});
  ASSERT_EQ(out.accepts.size(), 1u);
  const AcceptPlan& accept = out.accepts[0];
  EXPECT_EQ(accept.agent_id, "a1");
  ASSERT_EQ(accept.offer_ids.size(), 1u);
  ASSERT_EQ(accept.launches.size(), 3u);
  EXPECT_TRUE(out.unused.empty());
  EXPECT_TRUE(out.misses.empty());
  // Task and executor resources are separate and exact.
  EXPECT_DOUBLE_EQ(Sum(accept.launches[0].task_resources, "cpus"), 0.5);
  EXPECT_DOUBLE_EQ(Sum(accept.launches[0].executor_resources, "cpus"), 0.05);
  EXPECT_DOUBLE_EQ(Sum(accept.launches[0].executor_resources, "mem"), 32);
  // Dynamic ports are distinct, lowest first, and launched as one-port ranges.
  EXPECT_EQ(accept.launches[0].ports.at("http"), 31000u);
  EXPECT_EQ(accept.launches[1].ports.at("http"), 31001u);
  EXPECT_EQ(accept.launches[2].ports.at("http"), 31002u);
  // Launched resources keep the offered allocation_info.
  for (const v1::Resource& r : accept.launches[2].task_resources) {
    EXPECT_EQ(r.allocation_info().role(), "*") << r.name();
  }
}

TEST_F(OfferMatch, CombinesTwoOffersOfOneAgentAndDeclinesTheRest) {
  const TaskPlan& t = Task("  - {name: web, resources: {cpus: 1.5, mem: 64}, command: x}\n");
  std::vector<v1::Offer> offers = {
      OfferBuilder("o1", "a1", "h1").Scalar("cpus", 1).Scalar("mem", 100).Build(),
      OfferBuilder("o2", "a1", "h1").Scalar("cpus", 1).Build(),
      OfferBuilder("o3", "a2", "h2").Scalar("cpus", 8).Scalar("mem", 8).Build(),
  };
  MatchOutcome out = MatchOffers(offers, All(t), {});
  ASSERT_EQ(out.accepts.size(), 1u);
  EXPECT_EQ(out.accepts[0].offer_ids.size(), 2u);
  EXPECT_DOUBLE_EQ(Sum(out.accepts[0].launches[0].task_resources, "cpus"), 1.5);
  ASSERT_EQ(out.unused.size(), 1u);
  EXPECT_EQ(out.unused[0].value(), "o3");
}

TEST_F(OfferMatch, SaysWhichDimensionIsShortAndByHowMuch) {
  const TaskPlan& t = Task(
      "  - {name: web, resources: {cpus: 0.5, mem: 128}, ports: [http, admin], "
      "service: {payload: hi}}\n");
  std::vector<v1::Offer> offers = {OfferBuilder("o1", "a1", "h1")
                                       .Scalar("cpus", 1)
                                       .Scalar("mem", 96)
                                       .Ports(31000, 31000)
                                       .Build()};
  MatchOutcome out = MatchOffers(offers, All(t), {});
  EXPECT_TRUE(out.accepts.empty());
  ASSERT_EQ(out.unused.size(), 1u);
  const std::vector<Miss>& misses = out.misses.at("web.0");
  ASSERT_EQ(misses.size(), 2u);
  EXPECT_EQ(misses[0].kind, Miss::Kind::kMem);
  EXPECT_DOUBLE_EQ(misses[0].needed, 160);  // 128 for the task + 32 for its executor
  EXPECT_DOUBLE_EQ(misses[0].offered, 96);
  EXPECT_EQ(misses[1].kind, Miss::Kind::kPorts);
  EXPECT_EQ(misses[1].detail, "2 ports needed, 1 offered");
}

TEST_F(OfferMatch, StaticPortsMustBeOfferedAndAreCutFromTheirRange) {
  const TaskPlan& t = Task(
      "  - {name: web, instances: 2, ports: [{name: http, static: 31005}, "
      "{name: admin}], service: {payload: hi}}\n");
  MatchOutcome out = MatchOffers({Big("o1", "a1", "h1")}, All(t), {});
  ASSERT_EQ(out.accepts.size(), 1u);
  ASSERT_EQ(out.accepts[0].launches.size(), 1u);  // the second cannot have 31005 too
  EXPECT_EQ(out.accepts[0].launches[0].ports.at("http"), 31005u);
  EXPECT_EQ(out.accepts[0].launches[0].ports.at("admin"), 31000u);
  EXPECT_EQ(out.misses.at("web.1")[0].detail, "port 31005 (http) is not offered");

  MatchOutcome none = MatchOffers({OfferBuilder("o1", "a1", "h1")
                                       .Scalar("cpus", 1)
                                       .Scalar("mem", 512)
                                       .Ports(1000, 2000)
                                       .Build()},
                                  All(t), {});
  EXPECT_TRUE(none.accepts.empty());
}

TEST_F(OfferMatch, PortRangesAreSplitAroundTakenPorts) {
  const TaskPlan& t = Task(
      "  - {name: web, instances: 3, ports: [{name: a, static: 31001}, {name: b}], "
      "service: {payload: hi}}\n");
  std::vector<v1::Offer> offers = {OfferBuilder("o1", "a1", "h1")
                                       .Scalar("cpus", 4)
                                       .Scalar("mem", 4096)
                                       .Ports(31000, 31002)
                                       .Build()};
  MatchOutcome out = MatchOffers(offers, {{&t, 0}}, {});
  ASSERT_EQ(out.accepts.size(), 1u);
  const InstanceLaunch& l = out.accepts[0].launches[0];
  EXPECT_EQ(l.ports.at("a"), 31001u);
  EXPECT_EQ(l.ports.at("b"), 31000u);
  // Both ports come from one offered resource, so they are one Resource.
  int ports_resources = 0;
  for (const v1::Resource& r : l.task_resources) {
    if (r.name() != "ports") continue;
    ++ports_resources;
    EXPECT_EQ(r.ranges().range_size(), 2);
  }
  EXPECT_EQ(ports_resources, 1);
}

TEST_F(OfferMatch, RolesMustBeAccepted) {
  const TaskPlan& t = Task("  - {name: web, accepted_roles: [web], command: x}\n");
  std::vector<v1::Offer> offers = {
      OfferBuilder("o1", "a1", "h1", "*").Scalar("cpus", 4).Scalar("mem", 4096).Build(),
      OfferBuilder("o2", "a2", "h2", "web").Scalar("cpus", 4).Scalar("mem", 4096).Build()};
  MatchOutcome out = MatchOffers(offers, All(t), {});
  ASSERT_EQ(out.accepts.size(), 1u);
  EXPECT_EQ(out.accepts[0].agent_id, "a2");
  EXPECT_EQ(out.accepts[0].launches[0].task_resources[0].allocation_info().role(), "web");
}

TEST_F(OfferMatch, OffersOfOneAgentForTwoRolesAreNotMixed) {
  const TaskPlan& t = Task("  - {name: web, resources: {cpus: 1.5}, command: x}\n");
  std::vector<v1::Offer> offers = {
      OfferBuilder("o1", "a1", "h1", "*").Scalar("cpus", 1).Scalar("mem", 4096).Build(),
      OfferBuilder("o2", "a1", "h1", "web").Scalar("cpus", 1).Scalar("mem", 4096).Build()};
  MatchOutcome out = MatchOffers(offers, All(t), {});
  EXPECT_TRUE(out.accepts.empty());
  EXPECT_EQ(out.unused.size(), 2u);
}

TEST_F(OfferMatch, UniqueHostnameSpreadsInstancesAndCountsPlacedOnes) {
  const TaskPlan& t = Task(
      "  - {name: web, instances: 3, constraints: [[hostname, UNIQUE]], "
      "command: x}\n");
  std::vector<Placement> placed = {{"web", {"a0", "h0", {}}}};
  MatchOutcome out =
      MatchOffers({Big("o0", "a0", "h0"), Big("o1", "a1", "h1"), Big("o2", "a2", "h2")},
                  {{&t, 1}, {&t, 2}}, placed);
  ASSERT_EQ(out.accepts.size(), 2u);
  EXPECT_EQ(out.accepts[0].agent_id, "a1");
  EXPECT_EQ(out.accepts[1].agent_id, "a2");
  ASSERT_EQ(out.unused.size(), 1u);
  EXPECT_EQ(out.unused[0].value(), "o0");
}

TEST_F(OfferMatch, ManyAgentsKeepTheOrderOfTheirFirstOfferAndTheRestAreDeclined) {
  const TaskPlan& t = Task(
      "  - {name: web, instances: 2, resources: {cpus: 1, mem: 128}, "
      "constraints: [[hostname, UNIQUE]], command: x}\n");
  // 3,000 agents; a2999 comes first, and a second offer of a0 comes last.
  std::vector<v1::Offer> offers = {Big("first", "a2999", "h2999")};
  for (int a = 0; a < 2999; ++a) {
    std::string n = std::to_string(a);
    offers.push_back(Big("o" + n, "a" + n, "h" + n));
  }
  offers.push_back(Big("again", "a0", "h0"));
  MatchOutcome out = MatchOffers(offers, All(t), {});
  ASSERT_EQ(out.accepts.size(), 2u);
  EXPECT_EQ(out.accepts[0].agent_id, "a2999");
  EXPECT_EQ(out.accepts[1].agent_id, "a0");
  ASSERT_EQ(out.accepts[1].offer_ids.size(), 1u);  // one offer was enough
  // Every other offer is declined, a0's unused second offer among them.
  EXPECT_EQ(out.unused.size(), offers.size() - 2);
  EXPECT_EQ(out.unused.front().value(), "again");
  EXPECT_EQ(out.unused.back().value(), "o2998");
  EXPECT_TRUE(out.misses.empty());
}

TEST_F(OfferMatch, AConstraintFailingOnOneAgentIsReportedForEveryWaitingInstance) {
  const TaskPlan& t = Task(
      "  - {name: web, instances: 3, resources: {cpus: 1, mem: 128}, "
      "constraints: [[hostname, UNIQUE]], command: x}\n");
  // One agent with room for all three: the first goes there, the other two
  // each miss on the constraint, naming it.
  MatchOutcome out = MatchOffers({Big("o1", "a1", "h1")}, All(t), {});
  ASSERT_EQ(out.accepts.size(), 1u);
  EXPECT_EQ(out.accepts[0].launches.size(), 1u);
  for (const char* key : {"web.1", "web.2"}) {
    ASSERT_EQ(out.misses[key].size(), 1u) << key;
    EXPECT_EQ(out.misses[key][0].kind, Miss::Kind::kConstraint);
    EXPECT_NE(out.misses[key][0].detail.find("already runs on h1"), std::string::npos);
  }
}

struct ConstraintCase {
  const char* name;
  spec::Constraint constraint;
  std::vector<std::string> placed_racks;  // racks of instances already placed
  std::string rack;                       // the candidate agent's rack ("" = none)
  bool fits;
};

class Constraints : public ::testing::TestWithParam<ConstraintCase> {};

TEST_P(Constraints, DecideLikeMarathon) {
  const ConstraintCase& c = GetParam();
  std::vector<Placement> placed;
  for (size_t i = 0; i < c.placed_racks.size(); ++i) {
    placed.push_back(
        {"web", {"a" + std::to_string(i), "h" + std::to_string(i), {{"rack", c.placed_racks[i]}}}});
  }
  placed.push_back({"other", {"x", "hx", {{"rack", "r1"}}}});  // other tasks never count
  AgentFacts agent{"a9", "h9", {}};
  if (!c.rack.empty()) agent.attributes["rack"] = c.rack;
  std::string why;
  EXPECT_EQ(SatisfiesConstraint(ForMatching(c.constraint), "web", agent, placed, why), c.fits)
      << why;
  EXPECT_EQ(why.empty(), c.fits);
}

using Op = spec::ConstraintOp;
spec::Constraint C(std::string field, Op op, std::string value) {
  spec::Constraint c;
  c.field = std::move(field);
  c.op = op;
  c.value = std::move(value);
  return c;
}
INSTANTIATE_TEST_SUITE_P(
    OfferMatch, Constraints,
    ::testing::Values(
        ConstraintCase{"unique_new", C("rack", Op::kUnique, ""), {"r1"}, "r2", true},
        ConstraintCase{"unique_taken", C("rack", Op::kUnique, ""), {"r1"}, "r1", false},
        ConstraintCase{"cluster_value", C("rack", Op::kCluster, "r1"), {}, "r1", true},
        ConstraintCase{"cluster_other", C("rack", Op::kCluster, "r1"), {}, "r2", false},
        ConstraintCase{"cluster_follows_first", C("rack", Op::kCluster, ""), {"r2"}, "r1", false},
        ConstraintCase{"is_equal", C("rack", Op::kIs, "r1"), {}, "r1", true},
        ConstraintCase{"is_prefix_is_not_equal", C("rack", Op::kIs, "r"), {}, "r1", false},
        ConstraintCase{"like_whole_value", C("rack", Op::kLike, "r[12]"), {}, "r2", true},
        ConstraintCase{"like_no_partial", C("rack", Op::kLike, "r"), {}, "r2", false},
        ConstraintCase{"unlike", C("rack", Op::kUnlike, "r[12]"), {}, "r3", true},
        ConstraintCase{"unlike_match", C("rack", Op::kUnlike, "r[12]"), {}, "r1", false},
        ConstraintCase{"unlike_missing", C("rack", Op::kUnlike, "r1"), {}, "", true},
        ConstraintCase{"like_never_backtracks",
                       C("rack", Op::kLike, "(r+)+s"),
                       {},
                       std::string(100000, 'r'),
                       false},
        ConstraintCase{
            "like_uncompilable_matches_nothing", C("rack", Op::kLike, "r("), {}, "r(", false},
        ConstraintCase{"missing_attribute", C("rack", Op::kUnique, ""), {}, "", false},
        ConstraintCase{"max_per_room", C("rack", Op::kMaxPer, "2"), {"r1"}, "r1", true},
        ConstraintCase{"max_per_full", C("rack", Op::kMaxPer, "2"), {"r1", "r1"}, "r1", false},
        ConstraintCase{"group_by_new_group", C("rack", Op::kGroupBy, "2"), {"r1"}, "r2", true},
        ConstraintCase{
            "group_by_waits_for_second_group", C("rack", Op::kGroupBy, "2"), {"r1"}, "r1", false},
        ConstraintCase{"group_by_even", C("rack", Op::kGroupBy, "2"), {"r1", "r2"}, "r1", true},
        ConstraintCase{
            "group_by_uneven", C("rack", Op::kGroupBy, ""), {"r1", "r1", "r2"}, "r1", false}),
    [](const ::testing::TestParamInfo<ConstraintCase>& p) { return p.param.name; });

TEST(AgentFacts, FormatsAttributesAsText) {
  v1::Offer offer = OfferBuilder("o", "a", "h").Attribute("rack", "r1").Build();
  v1::Attribute* cores = offer.add_attributes();
  cores->set_name("cores");
  cores->set_type(v1::Value::SCALAR);
  cores->mutable_scalar()->set_value(8);
  v1::Attribute* set = offer.add_attributes();
  set->set_name("zones");
  set->set_type(v1::Value::SET);
  set->mutable_set()->add_item("a");
  set->mutable_set()->add_item("b");
  AgentFacts facts = AgentFacts::Of(offer);
  EXPECT_EQ(facts.hostname, "h");
  EXPECT_EQ(facts.attributes.at("rack"), "r1");
  EXPECT_EQ(facts.attributes.at("cores"), "8");
  EXPECT_EQ(facts.attributes.at("zones"), "{a,b}");
}

}  // namespace
}  // namespace mlaunch

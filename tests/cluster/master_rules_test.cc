// The master's rules as tables (cluster/master_rules.h): each row breaks
// one rule of an otherwise valid message and names the rule that must
// report it, with at most a fragment of our message.
#include "cluster/master_rules.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::ExecutorInfo;
using mesos::v1::FrameworkInfo;
using mesos::v1::TaskInfo;
using mesos::v1::scheduler::Call;

const std::string kUuid4 = std::string("0123456789abcdef").replace(6, 1, "\x40");

template <typename T>
struct Row {
  const char* what;
  std::function<void(T*)> mutate;
  std::string_view rule;  // "" for none broken
};

template <typename T, typename Check>
void ExpectRows(const T& valid, const std::vector<Row<T>>& rows, Check check) {
  ASSERT_EQ(check(valid), std::nullopt) << check(valid)->message;
  for (const Row<T>& row : rows) {
    T subject = valid;
    row.mutate(&subject);
    const Verdict verdict = check(subject);
    if (row.rule.empty()) {
      EXPECT_EQ(verdict, std::nullopt) << row.what << ": " << verdict->message;
    } else {
      ASSERT_TRUE(verdict.has_value()) << row.what;
      EXPECT_EQ(verdict->rule, row.rule) << row.what << ": " << verdict->message;
      EXPECT_FALSE(verdict->message.empty()) << row.what;
    }
  }
}

TEST(CheckCall, EachRuleAsATable) {
  Call ack;
  ack.set_type(Call::ACKNOWLEDGE);
  ack.mutable_framework_id()->set_value("F");
  ack.mutable_acknowledge()->mutable_agent_id()->set_value("A");
  ack.mutable_acknowledge()->mutable_task_id()->set_value("T");
  ack.mutable_acknowledge()->set_uuid(kUuid4);
  auto check = [](const Call& call) { return CheckCall(call, std::string("p")); };
  ExpectRows<Call>(
      ack,
      {
          {"no type", [](Call* c) { c->clear_type(); }, "type"},
          {"no framework id", [](Call* c) { c->clear_framework_id(); }, "framework-id"},
          {"no parameters", [](Call* c) { c->clear_acknowledge(); }, "parameters"},
          {"a short uuid", [](Call* c) { c->mutable_acknowledge()->set_uuid("short"); }, "uuid"},
          // 16 bytes, but version 7: Mesos refuses it too.
          {"an unversioned uuid",
           [](Call* c) { c->mutable_acknowledge()->set_uuid(std::string(16, 'u')); }, "uuid"},
          {"version 1",
           [](Call* c) {
             c->mutable_acknowledge()->set_uuid(std::string(6, 'a') + "\x10" + std::string(9, 'a'));
           },
           ""},
          {"teardown needs no parameters", [](Call* c) { c->set_type(Call::TEARDOWN); }, ""},
          {"kill without kill", [](Call* c) { c->set_type(Call::KILL); }, "parameters"},
          {"operation ack without its agent",
           [](Call* c) {
             c->set_type(Call::ACKNOWLEDGE_OPERATION_STATUS);
             c->mutable_acknowledge_operation_status()->set_uuid(kUuid4);
           },
           "operation-agent"},
          {"update of another framework",
           [](Call* c) {
             c->set_type(Call::UPDATE_FRAMEWORK);
             c->mutable_update_framework()->mutable_framework_info()->mutable_id()->set_value("G");
           },
           "same-framework"},
      },
      check);

  Call subscribe;
  subscribe.set_type(Call::SUBSCRIBE);
  subscribe.mutable_subscribe()->mutable_framework_info()->set_user("u");
  subscribe.mutable_subscribe()->mutable_framework_info()->set_name("n");
  ExpectRows<Call>(
      subscribe,
      {
          {"no subscribe", [](Call* c) { c->clear_subscribe(); }, "parameters"},
          {"framework_id without the info's id",
           [](Call* c) { c->mutable_framework_id()->set_value("F"); }, "same-framework"},
          {"both ids agree",
           [](Call* c) {
             c->mutable_framework_id()->set_value("F");
             c->mutable_subscribe()->mutable_framework_info()->mutable_id()->set_value("F");
           },
           ""},
          {"another principal",
           [](Call* c) { c->mutable_subscribe()->mutable_framework_info()->set_principal("q"); },
           "principal"},
          {"the same principal",
           [](Call* c) { c->mutable_subscribe()->mutable_framework_info()->set_principal("p"); },
           ""},
      },
      check);
  // Without authentication any principal may be named.
  subscribe.mutable_subscribe()->mutable_framework_info()->set_principal("q");
  EXPECT_EQ(CheckCall(subscribe, std::nullopt), std::nullopt);
}

TEST(CheckFrameworkInfo, EachRuleAsATable) {
  FrameworkInfo info;
  info.set_user("u");
  info.set_name("n");
  info.set_role("web");
  info.set_failover_timeout(60);
  auto multi = [](FrameworkInfo* f) {
    f->clear_role();
    f->add_capabilities()->set_type(FrameworkInfo::Capability::MULTI_ROLE);
  };
  ExpectRows<FrameworkInfo>(
      info,
      {
          {"roles without MULTI_ROLE", [](FrameworkInfo* f) { f->add_roles("a"); },
           "role-or-roles"},
          {"role with MULTI_ROLE",
           [](FrameworkInfo* f) {
             f->add_capabilities()->set_type(FrameworkInfo::Capability::MULTI_ROLE);
           },
           "role-or-roles"},
          {"a role twice",
           [&](FrameworkInfo* f) {
             multi(f);
             f->add_roles("a");
             f->add_roles("a");
           },
           "roles-unique"},
          {"two roles",
           [&](FrameworkInfo* f) {
             multi(f);
             f->add_roles("a");
             f->add_roles("a/b");
           },
           ""},
          {"a role '..'", [](FrameworkInfo* f) { f->set_role("a/../b"); }, "role-names"},
          {"a role with a space", [](FrameworkInfo* f) { f->set_role("a b"); }, "role-names"},
          {"a role '-a'", [](FrameworkInfo* f) { f->set_role("-a"); }, "role-names"},
          {"a role '/a'", [](FrameworkInfo* f) { f->set_role("/a"); }, "role-names"},
          {"a role 'a//b'", [](FrameworkInfo* f) { f->set_role("a//b"); }, "role-names"},
          {"role '*'", [](FrameworkInfo* f) { f->set_role("*"); }, ""},
          {"NaN failover", [](FrameworkInfo* f) { f->set_failover_timeout(std::nan("")); },
           "failover-timeout"},
          {"1e10 s failover", [](FrameworkInfo* f) { f->set_failover_timeout(1e10); },
           "failover-timeout"},
          {"a negative failover", [](FrameworkInfo* f) { f->set_failover_timeout(-5); }, ""},
          {"labels too large",
           [](FrameworkInfo* f) {
             auto* label = f->mutable_labels()->add_labels();
             label->set_key("k");
             label->set_value(std::string(kMaxLabelsBytes, 'v'));
           },
           "labels-size"},
      },
      CheckFrameworkInfo);
}

TEST(IdProblem, WhatAnIdMayHold) {
  EXPECT_EQ(IdProblem("web-1.a_b"), std::nullopt);
  for (const std::string& id :
       {std::string(), std::string("."), std::string(".."), std::string("a/b"), std::string("a\\b"),
        std::string("a\nb"), std::string(256, 'x')}) {
    EXPECT_TRUE(IdProblem(id).has_value()) << id;
  }
  EXPECT_EQ(IdProblem(std::string(255, 'x')), std::nullopt);
}

TaskInfo ValidTask() {
  TaskInfo task;
  task.set_name("t");
  task.mutable_task_id()->set_value("t1");
  task.mutable_agent_id()->set_value("S0");
  auto* cpus = task.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(1);
  task.mutable_command()->set_value("true");
  return task;
}

mesos::v1::ContainerInfo MesosImage() {
  mesos::v1::ContainerInfo c;
  c.set_type(mesos::v1::ContainerInfo::MESOS);
  c.mutable_mesos()->mutable_image()->set_type(mesos::v1::Image::DOCKER);
  c.mutable_mesos()->mutable_image()->mutable_docker()->set_name("busybox:1.36");
  return c;
}

TEST(CheckTask, EachRuleAsATable) {
  const std::string framework = "F";
  const std::string agent = "S0";
  auto check = [&](const TaskInfo& task) {
    TaskCheck c{task, framework, agent};
    c.id_taken = task.name() == "taken";
    c.agent_takes_limits = task.name() != "no-limits";
    return CheckTask(c);
  };
  auto env = [](TaskInfo* t, mesos::v1::Environment::Variable::Type type, bool value, bool secret) {
    auto* v = t->mutable_command()->mutable_environment()->add_variables();
    v->set_name("A");
    v->set_type(type);
    if (value) v->set_value("1");
    if (secret) v->mutable_secret()->set_type(mesos::v1::Secret::VALUE);
  };
  using mesos::v1::Environment;
  using mesos::v1::HealthCheck;
  ExpectRows<TaskInfo>(
      ValidTask(),
      {
          {"bad id", [](TaskInfo* t) { t->mutable_task_id()->set_value("a/b"); }, "task-id"},
          {"id taken", [](TaskInfo* t) { t->set_name("taken"); }, "task-id-unique"},
          {"another agent", [](TaskInfo* t) { t->mutable_agent_id()->set_value("S7"); }, "agent"},
          {"negative grace",
           [](TaskInfo* t) {
             t->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(-1);
           },
           "kill-policy"},
          {"negative max time",
           [](TaskInfo* t) { t->mutable_max_completion_time()->set_nanoseconds(-1); },
           "max-completion-time"},
          {"health check without type", [](TaskInfo* t) { t->mutable_health_check(); },
           "health-check"},
          {"HTTP check without http",
           [](TaskInfo* t) { t->mutable_health_check()->set_type(HealthCheck::HTTP); },
           "health-check"},
          {"HTTP check with a relative path",
           [](TaskInfo* t) {
             t->mutable_health_check()->set_type(HealthCheck::HTTP);
             t->mutable_health_check()->mutable_http()->set_port(80);
             t->mutable_health_check()->mutable_http()->set_path("health");
           },
           "health-check"},
          {"HTTP check over ftp",
           [](TaskInfo* t) {
             t->mutable_health_check()->set_type(HealthCheck::HTTP);
             t->mutable_health_check()->mutable_http()->set_port(80);
             t->mutable_health_check()->mutable_http()->set_scheme("ftp");
           },
           "health-check"},
          {"a negative interval",
           [](TaskInfo* t) {
             t->mutable_health_check()->set_type(HealthCheck::TCP);
             t->mutable_health_check()->mutable_tcp()->set_port(80);
             t->mutable_health_check()->set_interval_seconds(-1);
           },
           "health-check"},
          {"a good TCP check",
           [](TaskInfo* t) {
             t->mutable_health_check()->set_type(HealthCheck::TCP);
             t->mutable_health_check()->mutable_tcp()->set_port(80);
           },
           ""},
          {"no resources", [](TaskInfo* t) { t->clear_resources(); }, "resources"},
          {"negative cpus",
           [](TaskInfo* t) { t->mutable_resources(0)->mutable_scalar()->set_value(-1); },
           "resources"},
          {"unnamed resource", [](TaskInfo* t) { t->mutable_resources(0)->clear_name(); },
           "resources"},
          {"limit of disk", [](TaskInfo* t) { (*t->mutable_limits())["disk"].set_value(1); },
           "limits"},
          {"limit below request",
           [](TaskInfo* t) { (*t->mutable_limits())["cpus"].set_value(0.5); }, "limits"},
          {"limits on an agent without them",
           [](TaskInfo* t) {
             t->set_name("no-limits");
             (*t->mutable_limits())["cpus"].set_value(2);
           },
           "limits"},
          {"an infinite limit",
           [](TaskInfo* t) { (*t->mutable_limits())["cpus"].set_value(INFINITY); }, ""},
          {"VALUE without a value",
           [&](TaskInfo* t) { env(t, Environment::Variable::VALUE, false, false); }, "environment"},
          {"SECRET with a value",
           [&](TaskInfo* t) { env(t, Environment::Variable::SECRET, true, true); }, "environment"},
          {"an image", [](TaskInfo* t) { *t->mutable_container() = MesosImage(); }, ""},
          {"DOCKER without DockerInfo",
           [](TaskInfo* t) { t->mutable_container()->set_type(mesos::v1::ContainerInfo::DOCKER); },
           "container"},
          {"no command, no executor", [](TaskInfo* t) { t->clear_command(); },
           "command-or-executor"},
          {"command and executor", [](TaskInfo* t) { t->mutable_executor(); },
           "command-or-executor"},
      },
      check);
}

TEST(CheckTask, AGroupsTaskNeedsNoCommandAndNoOtherExecutor) {
  ExecutorInfo group;
  group.mutable_executor_id()->set_value("E");
  TaskInfo task = ValidTask();
  task.clear_command();
  const std::string framework = "F";
  const std::string agent = "S0";
  TaskCheck check{task, framework, agent};
  check.group_executor = &group;
  EXPECT_EQ(CheckTask(check), std::nullopt);
  task.mutable_executor()->mutable_executor_id()->set_value("other");
  EXPECT_EQ(CheckTask(check)->rule, "group-executor");
  *task.mutable_executor() = group;
  EXPECT_EQ(CheckTask(check), std::nullopt);
}

ExecutorInfo ValidExecutor() {
  ExecutorInfo executor;
  executor.mutable_executor_id()->set_value("E");
  executor.mutable_framework_id()->set_value("F");
  executor.set_type(ExecutorInfo::CUSTOM);
  executor.mutable_command()->set_value("./run");
  const std::pair<const char*, double> amounts[] = {{"cpus", 0.1}, {"mem", 32}, {"disk", 10}};
  for (const auto& [name, amount] : amounts) {
    auto* r = executor.add_resources();
    r->set_name(name);
    r->set_type(mesos::v1::Value::SCALAR);
    r->mutable_scalar()->set_value(amount);
  }
  return executor;
}

// The executor in MesosImage(), with a volume at /d of `mode` (returned).
mesos::v1::Volume* ImageVolume(ExecutorInfo* e, mesos::v1::Volume::Mode mode) {
  *e->mutable_container() = MesosImage();
  mesos::v1::Volume* v = e->mutable_container()->add_volumes();
  v->set_container_path("/d");
  v->set_mode(mode);
  return v;
}

TEST(CheckExecutor, EachRuleAsATable) {
  const std::string framework = "F";
  const ExecutorInfo running = ValidExecutor();
  for (const bool group : {false, true}) {
    auto check = [&](const ExecutorInfo& executor) {
      ExecutorCheck c{executor, framework};
      c.group = group;
      if (executor.name() == "running") c.running = &running;
      return CheckExecutor(c);
    };
    SCOPED_TRACE(group ? "LAUNCH_GROUP" : "LAUNCH");
    auto amount = [](ExecutorInfo* e, int index, double value) {
      e->mutable_resources(index)->mutable_scalar()->set_value(value);
    };
    ExpectRows<ExecutorInfo>(
        ValidExecutor(),
        {
            {"bad id", [](ExecutorInfo* e) { e->mutable_executor_id()->set_value(".."); },
             "executor-id"},
            {"another framework",
             [](ExecutorInfo* e) { e->mutable_framework_id()->set_value("G"); },
             "executor-framework"},
            {"CUSTOM without command", [](ExecutorInfo* e) { e->clear_command(); },
             "executor-type"},
            {"DEFAULT", [](ExecutorInfo* e) { e->set_type(ExecutorInfo::DEFAULT); },
             "executor-type"},
            {"DEFAULT without command",
             [](ExecutorInfo* e) {
               e->set_type(ExecutorInfo::DEFAULT);
               e->clear_command();
             },
             group ? "" : "executor-type"},
            {"no type", [](ExecutorInfo* e) { e->clear_type(); }, group ? "executor-type" : ""},
            {"negative shutdown grace",
             [](ExecutorInfo* e) { e->mutable_shutdown_grace_period()->set_nanoseconds(-1); },
             "executor-shutdown-grace"},
            {"NaN mem", [&](ExecutorInfo* e) { amount(e, 1, std::nan("")); }, "executor-resources"},
            {"few cpus", [&](ExecutorInfo* e) { amount(e, 0, 0.005); },
             group ? "executor-minimum" : ""},
            {"little mem", [&](ExecutorInfo* e) { amount(e, 1, 16); },
             group ? "executor-minimum" : ""},
            {"no disk", [](ExecutorInfo* e) { e->mutable_resources()->RemoveLast(); },
             group ? "executor-minimum" : ""},
            {"bad environment",
             [](ExecutorInfo* e) {
               e->mutable_command()->mutable_environment()->add_variables()->set_name("A");
             },
             "executor-environment"},
            {"the running one, changed",
             [](ExecutorInfo* e) {
               e->set_name("running");
               e->mutable_command()->set_value("./other");
             },
             "executor-unchanged"},
            {"an image", [](ExecutorInfo* e) { *e->mutable_container() = MesosImage(); }, ""},
            {"a volume with two sources",
             [](ExecutorInfo* e) {
               mesos::v1::Volume* v = ImageVolume(e, mesos::v1::Volume::RW);
               v->set_host_path("/srv/d");
               v->mutable_source()->set_type(mesos::v1::Volume::Source::SANDBOX_PATH);
               v->mutable_source()->mutable_sandbox_path()->set_path("d");
             },
             "executor-container"},
            {"a volume with none", [](ExecutorInfo* e) { ImageVolume(e, mesos::v1::Volume::RW); },
             "executor-container"},
            {"an image volume (a field beyond our subset)",
             [](ExecutorInfo* e) {
               mesos::v1::Volume* v = ImageVolume(e, mesos::v1::Volume::RO);
               v->GetReflection()->MutableUnknownFields(v)->AddLengthDelimited(4, "\x08\x02");
             },
             ""},
            {"a SANDBOX_PATH without its path",
             [](ExecutorInfo* e) {
               mesos::v1::Volume* v = ImageVolume(e, mesos::v1::Volume::RW);
               v->mutable_source()->set_type(mesos::v1::Volume::Source::SANDBOX_PATH);
             },
             "executor-container"},
            {"a source of unknown type",
             [](ExecutorInfo* e) { ImageVolume(e, mesos::v1::Volume::RW)->mutable_source(); },
             "executor-container"},
            {"DOCKER without DockerInfo",
             [](ExecutorInfo* e) {
               e->mutable_container()->set_type(mesos::v1::ContainerInfo::DOCKER);
             },
             "executor-container"},
        },
        check);
  }
}

TEST(CheckOffers, EachRuleAsATable) {
  auto offer = [](const char* id, const char* framework, const char* agent) {
    mesos::v1::Offer o;
    o.mutable_id()->set_value(id);
    o.mutable_framework_id()->set_value(framework);
    o.mutable_agent_id()->set_value(agent);
    return o;
  };
  const mesos::v1::Offer o1 = offer("O1", "F", "S0");
  const mesos::v1::Offer o2 = offer("O2", "F", "S0");
  const mesos::v1::Offer o3 = offer("O3", "G", "S0");
  const mesos::v1::Offer o4 = offer("O4", "F", "S1");
  const mesos::v1::Offer o5 = offer("O5", "F", "S0");
  const std::map<std::string, std::pair<const mesos::v1::Offer*, std::string>> outstanding = {
      {"O1", {&o1, "*"}},
      {"O2", {&o2, "*"}},
      {"O3", {&o3, "*"}},
      {"O4", {&o4, "*"}},
      {"O5", {&o5, "web"}}};
  const std::string framework = "F";
  struct Case {
    std::vector<std::string> ids;
    std::string_view rule;
  };
  const Case cases[] = {{{"O1", "O2"}, ""},
                        {{}, "offers-named"},
                        {{"O1", "O1"}, "offers-once"},
                        {{"O1", "O9"}, "offers-outstanding"},
                        {{"O1", "O3"}, "offers-ours"},
                        {{"O1", "O4"}, "offers-one-role-one-agent"},
                        {{"O1", "O5"}, "offers-one-role-one-agent"}};
  for (const Case& c : cases) {
    Call::Accept accept;
    for (const std::string& id : c.ids) accept.add_offer_ids()->set_value(id);
    const Verdict verdict = CheckOffers({accept, framework, outstanding});
    EXPECT_EQ(verdict ? verdict->rule : "", c.rule) << (verdict ? verdict->message : "");
  }
}

}  // namespace
}  // namespace mlaunch::cluster

// Writes the seed corpus of master_call_fuzz: valid scheduler Calls of every
// type, as protobuf and as JSON, alone and in the sequences a scheduler
// sends (launch, acknowledge, kill, reconcile, teardown), in the format of
// master_call_input.h. Usage: master_call_seeds DIR (the files in
// tests/fuzz/corpus/master_call/ were written by it).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cluster/json_proto.h"
#include "mesos/v1/scheduler/scheduler.pb.h"
#include "tests/fuzz/master_call_input.h"

namespace {

using mesos::v1::scheduler::Call;
namespace fuzz = mlaunch::fuzz;

// The fuzzer patches these ids to the live ones (kOwnFramework & co.).
constexpr const char* kFramework = "M-0000";
constexpr const char* kAgent = "M-S0";
constexpr std::uint8_t kPatchAll = fuzz::kOwnFramework | fuzz::kLiveOffers | fuzz::kKnownAgent;

Call NewCall(Call::Type type) {
  Call call;
  call.set_type(type);
  call.mutable_framework_id()->set_value(kFramework);
  return call;
}

mesos::v1::Resource Scalar(const std::string& name, double value) {
  mesos::v1::Resource r;
  r.set_name(name);
  r.set_type(mesos::v1::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  r.mutable_allocation_info()->set_role("*");
  return r;
}

mesos::v1::TaskInfo Task(const std::string& id) {
  mesos::v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_agent_id()->set_value(kAgent);
  *task.add_resources() = Scalar("cpus", 1);
  *task.add_resources() = Scalar("mem", 128);
  mesos::v1::Resource ports;
  ports.set_name("ports");
  ports.set_type(mesos::v1::Value::RANGES);
  auto* range = ports.mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(31000);
  ports.mutable_allocation_info()->set_role("*");
  *task.add_resources() = ports;
  task.mutable_command()->set_value("sleep 1000");
  return task;
}

Call Launch(const std::string& task_id) {
  Call call = NewCall(Call::ACCEPT);
  call.mutable_accept()->add_offer_ids()->set_value("M-O0");
  auto* op = call.mutable_accept()->add_operations();
  op->set_type(mesos::v1::Offer::Operation::LAUNCH);
  *op->mutable_launch()->add_task_infos() = Task(task_id);
  call.mutable_accept()->mutable_filters()->set_refuse_seconds(5);
  return call;
}

Call LaunchGroup() {
  Call call = NewCall(Call::ACCEPT);
  call.mutable_accept()->add_offer_ids()->set_value("M-O0");
  auto* op = call.mutable_accept()->add_operations();
  op->set_type(mesos::v1::Offer::Operation::LAUNCH_GROUP);
  mesos::v1::ExecutorInfo* executor = op->mutable_launch_group()->mutable_executor();
  executor->set_type(mesos::v1::ExecutorInfo::DEFAULT);
  executor->mutable_executor_id()->set_value("group-executor");
  executor->mutable_framework_id()->set_value(kFramework);
  *executor->add_resources() = Scalar("cpus", 0.1);
  *executor->add_resources() = Scalar("mem", 32);
  *executor->add_resources() = Scalar("disk", 32);
  mesos::v1::TaskInfo a = Task("group-a"), b = Task("group-b");
  b.clear_resources();
  *b.add_resources() = Scalar("cpus", 0.5);
  *b.add_resources() = Scalar("mem", 64);
  *op->mutable_launch_group()->mutable_task_group()->add_tasks() = a;
  *op->mutable_launch_group()->mutable_task_group()->add_tasks() = b;
  return call;
}

Call Decline() {
  Call call = NewCall(Call::DECLINE);
  call.mutable_decline()->add_offer_ids()->set_value("M-O0");
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(1);
  return call;
}

Call Kill(const std::string& task_id) {
  Call call = NewCall(Call::KILL);
  call.mutable_kill()->mutable_task_id()->set_value(task_id);
  call.mutable_kill()->mutable_agent_id()->set_value(kAgent);
  call.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(1'000'000);
  return call;
}

Call Acknowledge(const std::string& task_id) {
  Call call = NewCall(Call::ACKNOWLEDGE);
  call.mutable_acknowledge()->mutable_agent_id()->set_value(kAgent);
  call.mutable_acknowledge()->mutable_task_id()->set_value(task_id);
  call.mutable_acknowledge()->set_uuid(std::string(16, 'U'));
  return call;
}

Call Reconcile(const std::vector<std::string>& task_ids) {
  Call call = NewCall(Call::RECONCILE);
  for (const auto& id : task_ids) {
    auto* task = call.mutable_reconcile()->add_tasks();
    task->mutable_task_id()->set_value(id);
    task->mutable_agent_id()->set_value(kAgent);
  }
  return call;
}

Call Subscribe() {
  Call call = NewCall(Call::SUBSCRIBE);
  auto* info = call.mutable_subscribe()->mutable_framework_info();
  info->set_user("alice");
  info->set_name("fuzz");
  info->mutable_id()->set_value(kFramework);
  info->set_failover_timeout(60);
  info->add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::MULTI_ROLE);
  info->add_roles("*");
  info->add_roles("web");
  call.mutable_subscribe()->add_suppressed_roles("web");
  return call;
}

Call Simple(Call::Type type) { return NewCall(type); }

Call Revive() {
  Call call = NewCall(Call::REVIVE);
  call.mutable_revive()->add_roles("*");
  return call;
}

Call Suppress() {
  Call call = NewCall(Call::SUPPRESS);
  call.mutable_suppress()->add_roles("web");
  return call;
}

Call Message() {
  Call call = NewCall(Call::MESSAGE);
  call.mutable_message()->mutable_agent_id()->set_value(kAgent);
  call.mutable_message()->mutable_executor_id()->set_value("task-1");
  call.mutable_message()->set_data("hello");
  return call;
}

Call Shutdown() {
  Call call = NewCall(Call::SHUTDOWN);
  call.mutable_shutdown()->mutable_agent_id()->set_value(kAgent);
  call.mutable_shutdown()->mutable_executor_id()->set_value("group-executor");
  return call;
}

Call Request() {
  Call call = NewCall(Call::REQUEST);
  auto* request = call.mutable_request()->add_requests();
  *request->add_resources() = Scalar("cpus", 1);
  return call;
}

std::string Encode(const Call& call, bool json) {
  return json ? mlaunch::cluster::ProtoToJson(call).dump() : call.SerializeAsString();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  struct Seed {
    std::string name;
    std::vector<std::pair<std::uint8_t, Call>> steps;
  };
  const std::uint8_t reports = kPatchAll | fuzz::kAgentReports;
  const std::vector<Seed> seeds = {
      {"launch", {{reports, Launch("task-1")}}},
      {"launch-ack-kill-reconcile",
       {{reports, Launch("task-1")},
        {kPatchAll, Acknowledge("task-1")},
        {reports, Kill("task-1")},
        {kPatchAll, Acknowledge("task-1")},
        {kPatchAll | fuzz::kAdvanceClock, Reconcile({"task-1", "task-2"})}}},
      {"launch-group-shutdown",
       {{reports, LaunchGroup()}, {kPatchAll, Shutdown()}, {reports, Reconcile({})}}},
      {"launch-master-restart-resubscribe",
       {{reports | fuzz::kAgentReRegisters, Launch("task-1")},
        {kPatchAll, Subscribe()},
        {kPatchAll | fuzz::kAdvanceClock, Reconcile({})}}},
      {"stream-closed-resubscribe",
       {{kPatchAll | fuzz::kStreamClosed, Launch("task-1")},
        {kPatchAll | fuzz::kAdvanceClock, Subscribe()},
        {kPatchAll, Acknowledge("task-1")}}},
      {"decline-revive", {{kPatchAll, Decline()}, {kPatchAll | fuzz::kAdvanceClock, Revive()}}},
      {"suppress-revive", {{kPatchAll, Suppress()}, {kPatchAll, Revive()}}},
      {"teardown", {{reports, Launch("task-1")}, {kPatchAll, Simple(Call::TEARDOWN)}}},
      {"message", {{reports, Launch("task-1")}, {kPatchAll, Message()}}},
      {"request", {{kPatchAll, Request()}}},
      {"subscribe", {{kPatchAll, Subscribe()}}},
      {"reconcile-all", {{kPatchAll, Reconcile({})}}},
      {"kill-unknown", {{kPatchAll, Kill("nope")}}},
  };
  int written = 0;
  for (const Seed& seed : seeds) {
    for (bool json : {false, true}) {
      std::string bytes;
      for (const auto& [flags, call] : seed.steps) {
        bytes += fuzz::Step(static_cast<std::uint8_t>(flags | (json ? fuzz::kJson : 0)),
                            Encode(call, json));
      }
      const std::string path = dir + "/" + seed.name + (json ? ".json.bin" : ".pb.bin");
      std::ofstream out(path, std::ios::binary);
      out << bytes;
      if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      ++written;
    }
  }
  std::printf("wrote %d seeds to %s\n", written, dir.c_str());
  return 0;
}

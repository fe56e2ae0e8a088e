// Checks that our proto2 subset of the Mesos v1 API produces exactly the wire
// bytes worked out by hand from Mesos' field numbers below, and basic proto2 behaviour
// (unknown-field preservation, required-field enforcement) we rely on.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "mesos/v1/executor/executor.pb.h"
#include "mesos/v1/mesos.pb.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace {

// Turns "10 01 1a ..." (whitespace ignored) into raw bytes.
std::string Hex(const std::string& text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument(std::string("bad hex digit: ") + c);
  };
  std::string digits;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  if (digits.size() % 2 != 0) throw std::invalid_argument("odd hex length");
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<char>((nibble(digits[i]) << 4) | nibble(digits[i + 1])));
  }
  return out;
}

// Renders bytes as "0a 03 ..." for readable failure messages.
std::string ToHex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0f]);
  }
  return out;
}

// 16 arbitrary bytes standing in for a task status uuid.
const std::string kUuid = Hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff");

template <typename Message>
std::string Serialize(const Message& message) {
  std::string bytes;
  EXPECT_TRUE(message.SerializeToString(&bytes));
  return bytes;
}

// RecordIO framing: decimal length, '\n', payload.
std::string RecordIO(const std::string& payload) {
  return std::to_string(payload.size()) + "\n" + payload;
}

#define EXPECT_BYTES(expected, actual) EXPECT_EQ(ToHex(expected), ToHex(actual))

}  // namespace

TEST(WireExamples, SchedulerHeartbeatEvent) {
  mesos::v1::scheduler::Event event;
  event.set_type(mesos::v1::scheduler::Event::HEARTBEAT);
  const std::string bytes = Serialize(event);
  EXPECT_BYTES(Hex("08 08"), bytes);
  EXPECT_BYTES(Hex("32 0a 08 08"), RecordIO(bytes));
}

TEST(WireExamples, ExecutorHeartbeatEvent) {
  mesos::v1::executor::Event event;
  event.set_type(mesos::v1::executor::Event::HEARTBEAT);
  const std::string bytes = Serialize(event);
  EXPECT_BYTES(Hex("08 09"), bytes);
  EXPECT_BYTES(Hex("32 0a 08 09"), RecordIO(bytes));
}

TEST(WireExamples, SchedulerSubscribeMultiRole) {
  mesos::v1::scheduler::Call call;
  call.set_type(mesos::v1::scheduler::Call::SUBSCRIBE);
  mesos::v1::FrameworkInfo* info = call.mutable_subscribe()->mutable_framework_info();
  info->set_user("alice");
  info->set_name("yaml-launcher");
  info->set_failover_timeout(604800);
  info->set_checkpoint(true);
  info->add_roles("*");
  info->add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::MULTI_ROLE);

  EXPECT_BYTES(Hex("10 01 1a 2a 0a 28 0a 05 61 6c 69 63 65 12 0d 79 61 6d 6c 2d 6c 61 "
                   "75 6e 63 68 65 72 21 00 00 00 00 00 75 22 41 28 01 52 02 08 06 62 "
                   "01 2a"),
               Serialize(call));
}

TEST(WireExamples, SchedulerDeclineWithZeroRefuseSeconds) {
  mesos::v1::scheduler::Call call;
  call.mutable_framework_id()->set_value("F");
  call.set_type(mesos::v1::scheduler::Call::DECLINE);
  call.mutable_decline()->add_offer_ids()->set_value("O1");
  // Explicitly set to 0.0 (the proto2 default is 5.0): must be serialized.
  call.mutable_decline()->mutable_filters()->set_refuse_seconds(0.0);

  EXPECT_BYTES(Hex("0a 03 0a 01 46 10 04 2a 11 0a 04 0a 02 4f 31 12 09 09 00 00 00 00 "
                   "00 00 00 00"),
               Serialize(call));
}

TEST(WireExamples, SchedulerImplicitReconcile) {
  mesos::v1::scheduler::Call call;
  call.mutable_framework_id()->set_value("F");
  call.set_type(mesos::v1::scheduler::Call::RECONCILE);
  call.mutable_reconcile();  // Present but empty.

  EXPECT_BYTES(Hex("0a 03 0a 01 46 10 09 4a 00"), Serialize(call));
}

TEST(WireExamples, SchedulerAcknowledge) {
  mesos::v1::scheduler::Call call;
  call.mutable_framework_id()->set_value("F");
  call.set_type(mesos::v1::scheduler::Call::ACKNOWLEDGE);
  mesos::v1::scheduler::Call::Acknowledge* ack = call.mutable_acknowledge();
  ack->mutable_agent_id()->set_value("A");
  ack->mutable_task_id()->set_value("T");
  ack->set_uuid(kUuid);

  EXPECT_BYTES(Hex("0a 03 0a 01 46 10 08 42 1c 0a 03 0a 01 41 12 03 0a 01 54 1a 10") + kUuid,
               Serialize(call));
}

TEST(WireExamples, ExecutorFirstSubscribe) {
  mesos::v1::executor::Call call;
  call.mutable_executor_id()->set_value("e1");
  call.mutable_framework_id()->set_value("f1");
  call.set_type(mesos::v1::executor::Call::SUBSCRIBE);
  call.mutable_subscribe();  // Present but empty.

  EXPECT_BYTES(Hex("0a 04 0a 02 65 31 12 04 0a 02 66 31 18 01 22 00"), Serialize(call));
}

TEST(WireExamples, ExecutorUpdateTaskRunning) {
  mesos::v1::executor::Call call;
  call.mutable_executor_id()->set_value("E");
  call.mutable_framework_id()->set_value("F");
  call.set_type(mesos::v1::executor::Call::UPDATE);
  mesos::v1::TaskStatus* status = call.mutable_update()->mutable_status();
  status->mutable_task_id()->set_value("T");
  status->set_state(mesos::v1::TASK_RUNNING);
  status->set_source(mesos::v1::TaskStatus::SOURCE_EXECUTOR);
  status->set_uuid(kUuid);

  EXPECT_BYTES(Hex("0a 03 0a 01 45 12 03 0a 01 46 18 02 2a 1d 0a 1b 0a 03 0a 01 54 10 "
                   "01 48 02 5a 10") +
                   kUuid,
               Serialize(call));
}

TEST(WireExamples, ScalarResourceWithRole) {
  mesos::v1::Resource resource;
  resource.set_name("cpus");
  resource.set_type(mesos::v1::Value::SCALAR);  // 0, still serialized.
  resource.mutable_scalar()->set_value(0.5);
  // `role` is deprecated (pre-refinement format) but part of the example.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  resource.set_role("*");
#pragma GCC diagnostic pop

  EXPECT_BYTES(Hex("0a 04 63 70 75 73 10 00 1a 09 09 00 00 00 00 00 00 e0 3f 32 01 2a"),
               Serialize(resource));
}

// proto2 defaults our code relies on.
TEST(WireExamples, Proto2Defaults) {
  mesos::v1::TaskStatus status;
  EXPECT_EQ(mesos::v1::TASK_STAGING, status.state());
  EXPECT_FALSE(status.has_state());

  EXPECT_DOUBLE_EQ(5.0, mesos::v1::Filters().refuse_seconds());
  EXPECT_TRUE(mesos::v1::CommandInfo().shell());
  EXPECT_TRUE(mesos::v1::CommandInfo::URI().extract());
  EXPECT_EQ(mesos::v1::Environment::Variable::VALUE, mesos::v1::Environment::Variable().type());
  EXPECT_EQ(5050u, mesos::v1::MasterInfo().port());
  EXPECT_EQ(5051, mesos::v1::AgentInfo().port());
  EXPECT_EQ(3u, mesos::v1::HealthCheck().consecutive_failures());
}

// A field this subset does not know (number 999) must survive a
// parse/serialize round trip byte for byte.
TEST(WireExamples, UnknownFieldSurvivesRoundTrip) {
  mesos::v1::TaskStatus status;
  status.mutable_task_id()->set_value("T");
  status.set_state(mesos::v1::TASK_RUNNING);
  status.set_uuid(kUuid);

  // Field 999, wire type 2 (length-delimited): key varint = 999 << 3 | 2 =
  // 7994 = ba 3e; then length 3 and "xyz".
  const std::string unknown = Hex("ba 3e 03 78 79 7a");
  const std::string input = Serialize(status) + unknown;

  mesos::v1::TaskStatus parsed;
  ASSERT_TRUE(parsed.ParseFromString(input));
  EXPECT_EQ("T", parsed.task_id().value());
  EXPECT_EQ(mesos::v1::TASK_RUNNING, parsed.state());
  EXPECT_EQ(1, parsed.GetReflection()->GetUnknownFields(parsed).field_count());

  EXPECT_BYTES(input, Serialize(parsed));
}

// A required field missing from the input makes the parse fail (this is
// what turns into "400 Bad Request" on the master).
TEST(WireExamples, MissingRequiredFieldFailsParse) {
  // Scheduler Call ACKNOWLEDGE whose Acknowledge lacks the required uuid (3).
  mesos::v1::scheduler::Call call;
  call.mutable_framework_id()->set_value("F");
  call.set_type(mesos::v1::scheduler::Call::ACKNOWLEDGE);
  call.mutable_acknowledge()->mutable_agent_id()->set_value("A");
  call.mutable_acknowledge()->mutable_task_id()->set_value("T");
  EXPECT_FALSE(call.IsInitialized());

  std::string bytes;
  ASSERT_TRUE(call.SerializePartialToString(&bytes));
  EXPECT_BYTES(Hex("0a 03 0a 01 46 10 08 42 0a 0a 03 0a 01 41 12 03 0a 01 54"), bytes);

  mesos::v1::scheduler::Call parsed;
  EXPECT_FALSE(parsed.ParseFromString(bytes));

  // Executor Call without its required framework_id (2).
  const std::string executor_call = Hex("0a 04 0a 02 65 31 18 01 22 00");
  mesos::v1::executor::Call executor_parsed;
  EXPECT_FALSE(executor_parsed.ParseFromString(executor_call));

  // Adding the missing pieces makes both parse.
  EXPECT_TRUE(
      parsed.ParseFromString(bytes.substr(0, 8) + "\x1c" + bytes.substr(9) + Hex("1a 10") + kUuid));
  EXPECT_TRUE(
      executor_parsed.ParseFromString(Hex("0a 04 0a 02 65 31 12 04 0a 02 66 31 18 01 22 00")));
}

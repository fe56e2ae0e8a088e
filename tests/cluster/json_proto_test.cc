// JSON <-> protobuf by stout's rules (docs/mesos-protocol.md), the
// shapes third-party JSON clients send and expect: e.g. the npm
// `mesos-framework` library sends every unset field as `null`.
#include "cluster/json_proto.h"

#include <gtest/gtest.h>

#include <string>

#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::scheduler::Call;

template <typename T>
Result<T> FromJson(std::string_view body) {
  T call;
  if (Status decoded = DecodeCall(body, /*json=*/true, &call); !decoded.ok()) return decoded;
  return call;
}
Result<Call> CallFromJson(std::string_view body) { return FromJson<Call>(body); }
Result<mesos::v1::executor::Call> ExecutorCallFromJson(std::string_view body) {
  return FromJson<mesos::v1::executor::Call>(body);
}

// Unset optional fields with a declared default appear, as stout writes
// them; deprecated ones and fields without a default do not.
TEST(ProtoToJson, WritesUnsetDefaultsButNotDeprecatedOnes) {
  mesos::v1::FrameworkInfo framework;
  framework.set_user("u");
  framework.set_name("n");
  const nlohmann::json json = ProtoToJson(framework);
  EXPECT_EQ(json["checkpoint"], false);
  EXPECT_EQ(json["failover_timeout"], 0.0);
  EXPECT_FALSE(json.contains("role")) << json.dump();  // [default "*", deprecated]
  EXPECT_FALSE(json.contains("hostname")) << json.dump();
  EXPECT_FALSE(json.contains("id")) << json.dump();

  mesos::v1::CommandInfo command;
  command.set_value("true");
  command.add_uris()->set_value("/x");
  command.mutable_environment()->add_variables()->set_name("A");
  const nlohmann::json c = ProtoToJson(command);
  EXPECT_EQ(c["shell"], true);
  EXPECT_EQ(c["uris"][0]["extract"], true);
  EXPECT_EQ(c["environment"]["variables"][0]["type"], "VALUE");
  EXPECT_FALSE(c.contains("arguments")) << c.dump();  // empty repeated

  command.set_shell(false);
  EXPECT_EQ(ProtoToJson(command)["shell"], false);  // a set value wins
}

// The SUBSCRIBE body mesos-framework 0.5.3 sends: unset fields are null.
TEST(CallFromJson, NullIsAnUnsetField) {
  auto call =
      CallFromJson(R"({"framework_id":null,"type":"SUBSCRIBE","subscribe":{"framework_info":)"
                   R"({"user":"root","name":"x","id":null,"failover_timeout":604800,)"
                   R"("checkpoint":null,"role":null,"capabilities":null,"labels":null}},)"
                   R"("accept":null,"decline":null,"reconcile":null})");
  ASSERT_TRUE(call.ok()) << call.message();
  EXPECT_FALSE(call.value().has_framework_id());
  EXPECT_FALSE(call.value().subscribe().framework_info().has_id());
  EXPECT_FALSE(call.value().subscribe().framework_info().has_checkpoint());
  EXPECT_FALSE(call.value().has_accept());
  EXPECT_EQ(call.value().subscribe().framework_info().failover_timeout(), 604800.0);
}

// Only the exact proto names are fields: lowerCamelCase keys are unknown
// keys, ignored -- so a required field spelled that way is missing.
TEST(CallFromJson, OnlyProtoFieldNamesCount) {
  auto call =
      CallFromJson(R"({"type":"SUBSCRIBE","subscribe":{"frameworkInfo":{"user":"u","name":"n"}}})");
  ASSERT_FALSE(call.ok());
  EXPECT_EQ(call.message(), "the Call lacks required fields: subscribe.framework_info");
  EXPECT_TRUE(CallFromJson(R"({"type":"REVIVE","framework_id":{"value":"f"},"extra":1})").ok());
}

TEST(CallFromJson, ValuesMustHaveTheFieldsJsonType) {
  auto quoted_number =
      CallFromJson(R"({"type":"DECLINE","framework_id":{"value":"f"},)"
                   R"("decline":{"offer_ids":[{"value":"o"}],"filters":{"refuse_seconds":"5"}}})");
  ASSERT_FALSE(quoted_number.ok());
  EXPECT_EQ(quoted_number.message(),
            "the JSON is no Call: field 'refuse_seconds' cannot hold a JSON string");

  auto enum_number = CallFromJson(R"({"type":3,"framework_id":{"value":"f"}})");
  ASSERT_FALSE(enum_number.ok());
  EXPECT_EQ(enum_number.message(), "the JSON is no Call: field 'type' cannot hold a JSON number");

  auto array_for_single = CallFromJson(R"({"type":"REVIVE","framework_id":[{"value":"f"}]})");
  ASSERT_FALSE(array_for_single.ok());
  EXPECT_EQ(array_for_single.message(),
            "the JSON is no Call: field 'framework_id' cannot hold a JSON array");

  auto object_for_string = CallFromJson(R"({"type":"REVIVE","framework_id":{"value":{}}})");
  ASSERT_FALSE(object_for_string.ok());
  EXPECT_EQ(object_for_string.message(),
            "the JSON is no Call: field 'value' cannot hold a JSON object");

  auto not_an_object = CallFromJson("[1]");
  ASSERT_FALSE(not_an_object.ok());
  EXPECT_EQ(not_an_object.message(), "the JSON is no Call: a JSON object was expected");
}

TEST(CallFromJson, EnumsBytesAndRepeatedFieldsAsStoutReadsThem) {
  // An unknown name of an optional enum is dropped (proto2); of a required
  // one it is an error.
  auto unknown = CallFromJson(
      R"({"type":"REVIVE","framework_id":{"value":"f"},"subscribe":)"
      R"({"framework_info":{"user":"u","name":"n","capabilities":[{"type":"NO_SUCH"}]}}})");
  ASSERT_TRUE(unknown.ok()) << unknown.message();
  EXPECT_FALSE(unknown.value().subscribe().framework_info().capabilities(0).has_type());
  auto required = CallFromJson(
      R"({"type":"ACKNOWLEDGE","framework_id":{"value":"f"},"acknowledge":)"
      R"({"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"AAAAAAAAAAAAAAAAAAAAAA=="},)"
      R"("reconcile":{"tasks":[{"task_id":{"value":"t"}}]},)"
      R"("accept":{"offer_ids":[],"operations":[{"type":"NOPE"}]}})");
  ASSERT_TRUE(required.ok()) << required.message();  // Operation.type is optional
  EXPECT_EQ(required.value().acknowledge().uuid(), std::string(16, '\0'));
  EXPECT_FALSE(required.value().accept().operations(0).has_type());
  auto required_state = ExecutorCallFromJson(
      R"({"type":"UPDATE","framework_id":{"value":"f"},"executor_id":{"value":"e"},)"
      R"("update":{"status":{"task_id":{"value":"t"},"state":"NOPE"}}})");
  ASSERT_FALSE(required_state.ok());
  EXPECT_EQ(required_state.message(),
            "the JSON is no Call: 'NOPE' is no value of the enum field 'state'");

  auto bad_base64 =
      CallFromJson(R"({"type":"ACKNOWLEDGE","framework_id":{"value":"f"},"acknowledge":)"
                   R"({"agent_id":{"value":"a"},"task_id":{"value":"t"},"uuid":"***"}})");
  ASSERT_FALSE(bad_base64.ok());
  EXPECT_EQ(bad_base64.message(),
            "the JSON is no Call: field 'uuid' holds bytes, which JSON carries as base64; "
            "this is not base64");

  // A single value for a repeated field is one element; null elements are
  // skipped.
  auto single =
      CallFromJson(R"({"type":"REVIVE","framework_id":{"value":"f"},"revive":{"roles":"a"},)"
                   R"("suppress":{"roles":["b",null,"c"]}})");
  ASSERT_TRUE(single.ok()) << single.message();
  ASSERT_EQ(single.value().revive().roles_size(), 1);
  EXPECT_EQ(single.value().revive().roles(0), "a");
  EXPECT_EQ(single.value().suppress().roles_size(), 2);
}

// The executor SUBSCRIBE mesos-framework 0.5.3 sends parses -- the agent's
// validation, not the parser, then rejects its missing `subscribe`.
TEST(ExecutorCallFromJson, ParsesTheLibrarysShapes) {
  auto call = ExecutorCallFromJson(
      R"({"type":"SUBSCRIBE","framework_id":{"value":"f"},"executor_id":{"value":"e"}})");
  ASSERT_TRUE(call.ok()) << call.message();
  EXPECT_FALSE(call.value().has_subscribe());
  auto update = ExecutorCallFromJson(
      R"({"type":"UPDATE","framework_id":{"value":"f"},"executor_id":{"value":"e"},)"
      R"("update":{"status":{"task_id":{"value":"t"},"state":"TASK_RUNNING",)"
      R"("source":"SOURCE_EXECUTOR","uuid":"AAAAAAAAAAAAAAAAAAAAAA==","timestamp":1.5}}})");
  ASSERT_TRUE(update.ok()) << update.message();
  EXPECT_EQ(update.value().update().status().state(), mesos::v1::TASK_RUNNING);
  auto missing = ExecutorCallFromJson(
      R"({"type":"UPDATE","framework_id":{"value":"f"},"executor_id":{"value":"e"},)"
      R"("update":{"status":{"taskId":{"value":"t"},"state":"TASK_RUNNING"}}})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), "the Call lacks required fields: update.status.task_id");
}

}  // namespace
}  // namespace mlaunch::cluster

// Protobuf <-> JSON the way Mesos (stout) maps them (docs/embedded-cluster.md,
// "What it implements"). Output: keys are the proto field names, enums their names, bytes
// base64, 64-bit integers plain JSON numbers; the fields that are set plus,
// as stout does, every unset optional field that declares a default and is
// not deprecated (e.g. CommandInfo.shell: true, URI.extract: true).
// Input, again as stout: only exact proto field names (unknown keys, and
// lowerCamelCase spellings, are ignored); a message field takes an object,
// a string/bytes/enum field a string (bytes base64, enums by name; an
// unknown name is dropped unless the field is required), a number field a
// number, a bool field a boolean; `null` leaves a field unset; an array is
// accepted only for a repeated field, and a single value for a repeated
// field is added as one element. Anything else is an error naming the field.
// Used for JSON event streams and for JSON calls, on master and agents.
//
// Pure code: no I/O. Errors are values.
#ifndef MLAUNCH_CLUSTER_JSON_PROTO_H_
#define MLAUNCH_CLUSTER_JSON_PROTO_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "google/protobuf/message.h"
#include "mesos/v1/executor/executor.pb.h"
#include "mesos/v1/scheduler/scheduler.pb.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

nlohmann::json ProtoToJson(const google::protobuf::Message& message);

// Decodes a call's body, JSON (`json`) or protobuf, into `call`, and checks
// its required fields. The message of a failure says what is wrong with
// the body, for a 400.
Status DecodeCall(std::string_view body, bool json, google::protobuf::Message* call);

// Fills `message` from a JSON object by the rules above; does not check
// required fields. The message of a failure names the field, e.g. "field
// 'value' cannot hold a JSON number".
Status MergeFromJson(const nlohmann::json& object, google::protobuf::Message* message);

// An answer's body: ProtoToJson's text when `json`, else the protobuf bytes.
std::string EncodeMessage(const google::protobuf::Message& message, bool json);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_JSON_PROTO_H_

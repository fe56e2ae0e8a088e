// Protobuf <-> JSON the way Mesos (stout) maps them (mesos-v1-reference.md
// §1.10): keys are the proto field names, enums their names, bytes base64,
// 64-bit integers plain JSON numbers, only fields that are set. Used for
// JSON event streams and for JSON calls.
//
// Pure code: no I/O. Errors are values.
#ifndef MLAUNCH_CLUSTER_JSON_PROTO_H_
#define MLAUNCH_CLUSTER_JSON_PROTO_H_

#include <string>
#include <string_view>

#include "common/status.h"
#include "google/protobuf/message.h"
#include "mesos/v1/scheduler/scheduler.pb.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

nlohmann::json ProtoToJson(const google::protobuf::Message& message);

// Parses a JSON scheduler Call. The message of a failure is the text the
// master sends after "400 Bad Request": "Failed to parse body into JSON: ..."
// or "Failed to convert JSON into Call protobuf: ...".
Result<mesos::v1::scheduler::Call> CallFromJson(std::string_view body);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_JSON_PROTO_H_

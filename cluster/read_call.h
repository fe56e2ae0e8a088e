// The checks every v1 API of the embedded cluster makes before it looks at
// a call (the master's scheduler and operator APIs, the agent's executor and
// operator APIs), as libprocess makes them, in this order:
//   1. the method is POST: else 405 with "Allow: POST";
//   2. the Content-Type is protobuf or JSON, compared exactly: 400 without
//      one, 415 for another (cluster/http_rules.h CallIsJson);
//   3. the body decodes into the call, its required fields present: 400
//      (cluster/json_proto.h DecodeCall).
// And for calls that answer with a body or a stream, the Accept header:
// JSON when it allows it, else protobuf, else 406 (StreamIsJson).
// The refusals are whole responses, ready to send.
#ifndef MLAUNCH_CLUSTER_READ_CALL_H_
#define MLAUNCH_CLUSTER_READ_CALL_H_

#include <google/protobuf/message.h>

#include <variant>

#include "common/http_server.h"

namespace mlaunch::cluster {

// Whether the call came as JSON (else protobuf), with `call` filled; or the
// refusal.
std::variant<bool, HttpServer::Response> ReadCall(const HttpServer::Request& request,
                                                  google::protobuf::Message* call);

// Whether to answer in JSON (else protobuf); or the 406 refusal.
std::variant<bool, HttpServer::Response> AnswerIsJson(const HttpServer::Request& request);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_READ_CALL_H_

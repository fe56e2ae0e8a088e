#include "cluster/read_call.h"

#include "cluster/http_rules.h"
#include "cluster/json_proto.h"

namespace mlaunch::cluster {

std::variant<bool, HttpServer::Response> ReadCall(const HttpServer::Request& request,
                                                  google::protobuf::Message* call) {
  if (request.method != "POST") {
    auto response = HttpServer::Response::Text(405, OnlyPost(request.method));
    response.headers.Set("Allow", "POST");
    return response;
  }
  const auto is_json = CallIsJson(request.headers.Get("Content-Type"));
  if (const auto* refused = std::get_if<HttpRefusal>(&is_json)) {
    return HttpServer::Response::Text(refused->status, refused->message);
  }
  if (Status decoded = DecodeCall(request.body, std::get<bool>(is_json), call); !decoded.ok()) {
    return HttpServer::Response::Text(400, decoded.message());
  }
  return std::get<bool>(is_json);
}

std::variant<bool, HttpServer::Response> AnswerIsJson(const HttpServer::Request& request) {
  const auto json = StreamIsJson(request.headers.Get("Accept"));
  if (const auto* refused = std::get_if<HttpRefusal>(&json)) {
    return HttpServer::Response::Text(refused->status, refused->message);
  }
  return std::get<bool>(json);
}

}  // namespace mlaunch::cluster

#include "cluster/read_call.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch::cluster {
namespace {

HttpServer::Request Post(std::string content_type, std::string body) {
  HttpServer::Request request;
  request.method = "POST";
  request.target = "/api/v1/scheduler";
  if (!content_type.empty()) request.headers.Set("Content-Type", content_type);
  request.body = std::move(body);
  return request;
}

// The refusal's status, or 0 when the call was read.
int Refused(const HttpServer::Request& request) {
  mesos::v1::scheduler::Call call;
  const auto read = ReadCall(request, &call);
  const auto* refused = std::get_if<HttpServer::Response>(&read);
  return refused ? refused->status : 0;
}

TEST(ReadCall, RefusesInOrderMethodThenMediaThenBody) {
  HttpServer::Request get = Post("application/json", "{}");
  get.method = "GET";
  mesos::v1::scheduler::Call call;
  const auto read = ReadCall(get, &call);
  ASSERT_TRUE(std::holds_alternative<HttpServer::Response>(read));
  EXPECT_EQ(std::get<HttpServer::Response>(read).status, 405);
  EXPECT_EQ(std::get<HttpServer::Response>(read).headers.Get("Allow"), "POST");
  // A GET with no Content-Type still gets 405: the method is looked at first.
  get.headers = {};
  EXPECT_EQ(Refused(get), 405);
  EXPECT_EQ(Refused(Post("", "{}")), 400);
  EXPECT_EQ(Refused(Post("text/plain", "{}")), 415);
  EXPECT_EQ(Refused(Post("application/json; charset=utf-8", "{}")), 415);  // compared exactly
  EXPECT_EQ(Refused(Post("application/json", "{not json")), 400);
  EXPECT_EQ(Refused(Post("application/x-protobuf", "\xff\xff\xff")), 400);
}

TEST(ReadCall, ReadsJsonAndProtobufAndSaysWhich) {
  mesos::v1::scheduler::Call call;
  auto json = ReadCall(Post("application/json", R"({"type": "TEARDOWN"})"), &call);
  ASSERT_TRUE(std::holds_alternative<bool>(json));
  EXPECT_TRUE(std::get<bool>(json));
  EXPECT_EQ(call.type(), mesos::v1::scheduler::Call::TEARDOWN);

  mesos::v1::scheduler::Call sent;
  sent.set_type(mesos::v1::scheduler::Call::REVIVE);
  auto protobuf = ReadCall(Post("application/x-protobuf", sent.SerializeAsString()), &call);
  ASSERT_TRUE(std::holds_alternative<bool>(protobuf));
  EXPECT_FALSE(std::get<bool>(protobuf));
  EXPECT_EQ(call.type(), mesos::v1::scheduler::Call::REVIVE);
}

TEST(AnswerIsJson, PrefersJsonTakesProtobufRefusesTheRestWith406) {
  HttpServer::Request request = Post("application/json", "{}");
  EXPECT_EQ(std::get<bool>(AnswerIsJson(request)), true);  // no Accept: anything goes
  request.headers.Set("Accept", "application/x-protobuf");
  EXPECT_EQ(std::get<bool>(AnswerIsJson(request)), false);
  request.headers.Set("Accept", "text/html");
  const auto refused = AnswerIsJson(request);
  ASSERT_TRUE(std::holds_alternative<HttpServer::Response>(refused));
  EXPECT_EQ(std::get<HttpServer::Response>(refused).status, 406);
}

}  // namespace
}  // namespace mlaunch::cluster

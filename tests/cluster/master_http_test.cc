// The master over real loopback sockets, spoken to with raw HTTP/1.1 bytes
// (Boost.Asio) so that status lines, headers, chunking and RecordIO framing
// are checked as they are on the wire. Every read has a deadline; nothing
// waits on a sleep.
#include "cluster/master_http.h"

// clang-format off
#include <utility>  // before asio: Boost 1.74's asio needs it first under GCC 12, C++20
// clang-format on

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/http_rules.h"
#include "common/base64.h"
#include "common/recordio.h"
#include "mesos/v1/master/master.pb.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using mesos::v1::scheduler::Call;
using mesos::v1::scheduler::Event;
using std::string_literals::operator""s;

constexpr auto kDeadline = std::chrono::seconds(10);

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool Has(const std::string& name) const { return headers.count(name) > 0; }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One client connection; reads fail the test instead of hanging it.
class RawClient {
 public:
  // `from`: the loopback address the connection comes from.
  explicit RawClient(std::uint16_t port, const std::string& from = "127.0.0.1") : stream_(io_) {
    stream_.expires_after(kDeadline);
    stream_.socket().open(net::ip::tcp::v4());
    stream_.socket().bind(net::ip::tcp::endpoint(net::ip::make_address(from), 0));
    stream_.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void Send(const std::string& raw) { net::write(stream_.socket(), net::buffer(raw)); }

  Reply ReadHead() {
    std::size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return {};
    }
    Reply reply;
    std::string head = in_.substr(0, end + 2);
    in_.erase(0, end + 4);
    reply.status = std::stoi(head.substr(9, 3));
    std::size_t at = head.find("\r\n") + 2;
    while (at < head.size()) {
      const std::size_t eol = head.find("\r\n", at);
      const std::string line = head.substr(at, eol - at);
      const std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      reply.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      at = eol + 2;
    }
    return reply;
  }

  Reply Read() {
    Reply reply = ReadHead();
    const std::size_t length =
        std::stoul(reply.Header("content-length").empty() ? "0" : reply.Header("content-length"));
    while (in_.size() < length) {
      if (!Fill()) break;
    }
    reply.body = in_.substr(0, length);
    in_.erase(0, std::min(length, in_.size()));
    return reply;
  }

  // The next de-chunked bytes of a streamed body: one whole chunk.
  // Empty at the final chunk or at EOF.
  std::string NextChunk() {
    std::size_t eol;
    while ((eol = in_.find("\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    const std::size_t size = std::stoul(in_.substr(0, eol), nullptr, 16);
    while (in_.size() < eol + 2 + size + 2) {
      if (!Fill()) return "";
    }
    std::string data = in_.substr(eol + 2, size);
    EXPECT_EQ(in_.substr(eol + 2 + size, 2), "\r\n");
    in_.erase(0, eol + 2 + size + 2);
    body_ += data;
    return data;
  }

  // The next RecordIO record of a streamed body; empty when it ended.
  std::string NextRecord() {
    while (records_.empty()) {
      const std::string chunk = NextChunk();
      if (chunk.empty()) return "";
      std::vector<std::string> records;
      EXPECT_TRUE(decoder_.Feed(chunk, &records).ok());
      for (auto& r : records) records_.push_back(std::move(r));
    }
    std::string record = std::move(records_.front());
    records_.pop_front();
    return record;
  }

  Event NextEvent() {
    Event event;
    EXPECT_TRUE(event.ParseFromString(NextRecord()));
    return event;
  }

  // Events until one of `type` (which is returned).
  Event NextEventOfType(Event::Type type) {
    for (int i = 0; i < 100; ++i) {
      Event event = NextEvent();
      if (event.type() == type || !event.has_type()) return event;
    }
    return Event();
  }

  // Every de-chunked body byte read so far.
  const std::string& body() const { return body_; }

  bool ReadsEof() {
    while (Fill()) {
    }
    return eof_;
  }

  void Close() { stream_.close(); }

 private:
  bool Fill() {
    char buffer[4096];
    beast::error_code error;
    stream_.expires_after(kDeadline);
    const std::size_t n = stream_.read_some(net::buffer(buffer), error);
    if (error) {
      eof_ = error == net::error::eof;
      EXPECT_TRUE(eof_) << error.message();
      return false;
    }
    in_.append(buffer, n);
    return true;
  }

  net::io_context io_;
  beast::tcp_stream stream_;
  std::string in_;
  std::string body_;
  RecordIODecoder decoder_;
  std::deque<std::string> records_;
  bool eof_ = false;
};

std::string Request(const std::string& method, const std::string& path,
                    const std::vector<std::string>& headers, const std::string& body) {
  std::string raw = method + " " + path + " HTTP/1.1\r\nHost: test\r\n";
  for (const auto& h : headers) raw += h + "\r\n";
  raw += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return raw;
}

// An agent that records what the master asked of it.
class FakeAgent : public Agent {
 public:
  void Handle(const AgentRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(request);
    changed_.notify_all();
  }

  template <typename T>
  std::optional<T> WaitFor() {
    std::unique_lock<std::mutex> lock(mutex_);
    std::optional<T> found;
    changed_.wait_for(lock, kDeadline, [&] {
      for (const auto& r : requests_) {
        if (const T* t = std::get_if<T>(&r)) found = *t;
      }
      return found.has_value();
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<AgentRequest> requests_;
};

mesos::v1::Resource Scalar(const std::string& name, double value) {
  mesos::v1::Resource r;
  r.set_name(name);
  r.set_type(mesos::v1::Value::SCALAR);
  r.mutable_scalar()->set_value(value);
  return r;
}

Call SubscribeCall(double failover_timeout = 0, const std::string& id = "") {
  Call call;
  call.set_type(Call::SUBSCRIBE);
  auto* info = call.mutable_subscribe()->mutable_framework_info();
  info->set_user("alice");
  info->set_name("http-test");
  info->set_failover_timeout(failover_timeout);
  if (!id.empty()) {
    info->mutable_id()->set_value(id);
    call.mutable_framework_id()->set_value(id);
  }
  return call;
}

class MasterHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { StartMaster({}); }

  void StartMaster(std::vector<BasicCredentials> credentials,
                   UnixMillis heartbeat_interval = 60'000) {
    Master::Options options;
    options.allocation_interval = 20;
    options.heartbeat_interval = heartbeat_interval;
    options.credentials = std::move(credentials);
    master_.reset();
    auto started = Master::Start(options);
    ASSERT_TRUE(started.ok()) << started.message();
    master_ = std::move(started).value();
  }

  std::string AddAgent() {
    mesos::v1::AgentInfo info;
    info.set_hostname("agent1");
    *info.add_resources() = Scalar("cpus", 2);
    *info.add_resources() = Scalar("mem", 1024);
    return master_->AddAgent(info, "127.0.0.2", &agent_);
  }

  Reply Exchange(const std::string& raw) {
    RawClient client(master_->port());
    client.Send(raw);
    return client.Read();
  }

  Reply PostCall(const Call& call, const std::string& stream_id,
                 std::vector<std::string> extra = {}) {
    extra.push_back("Content-Type: application/x-protobuf");
    if (!stream_id.empty()) extra.push_back("Mesos-Stream-Id: " + stream_id);
    return Exchange(Request("POST", "/api/v1/scheduler", extra, call.SerializeAsString()));
  }

  // Opens a protobuf subscription; returns the stream id, the client
  // positioned after SUBSCRIBED and HEARTBEAT, and the framework id.
  std::string Subscribe(RawClient* client, const Call& call, std::string* framework_id) {
    client->Send(Request("POST", "/master/api/v1/scheduler",
                         {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf"},
                         call.SerializeAsString()));
    Reply head = client->ReadHead();
    EXPECT_EQ(head.status, 200);
    Event subscribed = client->NextEvent();
    EXPECT_EQ(subscribed.type(), Event::SUBSCRIBED);
    *framework_id = subscribed.subscribed().framework_id().value();
    EXPECT_EQ(client->NextEvent().type(), Event::HEARTBEAT);
    return head.Header("mesos-stream-id");
  }

  Call NewCall(Call::Type type, const std::string& framework_id) {
    Call call;
    call.set_type(type);
    call.mutable_framework_id()->set_value(framework_id);
    return call;
  }

  FakeAgent agent_;  // outlives master_
  std::unique_ptr<Master> master_;
};

TEST_F(MasterHttpTest, GetOnTheSchedulerEndpointIs405WithAllow) {
  Reply reply = Exchange(Request("GET", "/api/v1/scheduler", {}, ""));
  EXPECT_EQ(reply.status, 405);
  EXPECT_EQ(reply.Header("allow"), "POST");
  EXPECT_EQ(reply.body, "this endpoint takes POST, not GET");
}

TEST_F(MasterHttpTest, MissingContentTypeIs400) {
  Reply reply = Exchange(Request("POST", "/api/v1/scheduler", {}, "x"));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body,
            "a call needs a Content-Type header: application/x-protobuf or application/json");
  EXPECT_EQ(reply.Header("content-type"), "text/plain; charset=utf-8");
}

TEST_F(MasterHttpTest, ContentTypeWithParametersIs415) {
  Reply reply = Exchange(Request("POST", "/api/v1/scheduler",
                                 {"Content-Type: application/json; charset=utf-8"}, "{}"));
  EXPECT_EQ(reply.status, 415);
  EXPECT_EQ(reply.body,
            "calls are taken as application/x-protobuf or application/json, not "
            "'application/json; charset=utf-8'");
}

TEST_F(MasterHttpTest, UnparseableBodiesAre400) {
  Reply reply = Exchange(
      Request("POST", "/api/v1/scheduler", {"Content-Type: application/x-protobuf"}, "\xff\xff"s));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "the body is no protobuf Call");
  reply =
      Exchange(Request("POST", "/api/v1/scheduler", {"Content-Type: application/json"}, "{nope"));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body.rfind("the body is not valid JSON", 0), 0u) << reply.body;
  reply = Exchange(Request("POST", "/api/v1/scheduler", {"Content-Type: application/json"},
                           R"({"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u"}}})"));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body.rfind("the Call lacks required fields: ", 0), 0u) << reply.body;
}

TEST_F(MasterHttpTest, InvalidCallIs400WithTheReason) {
  Call call;
  call.set_type(Call::RECONCILE);
  Reply reply = PostCall(call, "");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body,
            "the call is malformed: a RECONCILE call must name its framework in framework_id "
            "(only SUBSCRIBE may not)");
}

TEST_F(MasterHttpTest, SubscribeAcceptingNeitherTypeIs406) {
  Reply reply = Exchange(Request("POST", "/api/v1/scheduler",
                                 {"Content-Type: application/x-protobuf", "Accept: text/html"},
                                 SubscribeCall().SerializeAsString()));
  EXPECT_EQ(reply.status, 406);
}

TEST_F(MasterHttpTest, SubscribeCarryingAStreamIdIs400) {
  Reply reply = PostCall(SubscribeCall(), "abc");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("without a Mesos-Stream-Id header"), std::string::npos) << reply.body;
}

TEST_F(MasterHttpTest, SubscribeStreamsSubscribedThenHeartbeatInExactRecordIO) {
  RawClient client(master_->port());
  client.Send(Request("POST", "/api/v1/scheduler",
                      {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf"},
                      SubscribeCall().SerializeAsString()));
  Reply head = client.ReadHead();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(head.Header("transfer-encoding"), "chunked");
  EXPECT_FALSE(head.Has("content-length"));
  EXPECT_EQ(head.Header("mesos-stream-id").size(), 36u);
  EXPECT_TRUE(head.Has("date"));

  const std::string subscribed = client.NextRecord();
  client.NextRecord();
  Event event;
  ASSERT_TRUE(event.ParseFromString(subscribed));
  ASSERT_EQ(event.type(), Event::SUBSCRIBED);
  EXPECT_EQ(event.subscribed().heartbeat_interval_seconds(), 60.0);
  EXPECT_EQ(event.subscribed().master_info().port(), master_->port());
  EXPECT_EQ(client.body(), std::to_string(subscribed.size()) + "\n" + subscribed + "2\n\x08\x08"s);
}

TEST_F(MasterHttpTest, SubscribeWithoutAcceptStreamsJson) {
  RawClient client(master_->port());
  client.Send(Request("POST", "/api/v1/scheduler", {"Content-Type: application/x-protobuf"},
                      SubscribeCall().SerializeAsString()));
  Reply head = client.ReadHead();
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-type"), "application/json");
  const auto subscribed = nlohmann::json::parse(client.NextRecord());
  EXPECT_EQ(subscribed["type"], "SUBSCRIBED");
  EXPECT_EQ(subscribed["subscribed"]["heartbeat_interval_seconds"], 60.0);
  EXPECT_TRUE(subscribed["subscribed"]["master_info"]["port"].is_number());
  const std::size_t before = client.body().size();
  EXPECT_EQ(client.NextRecord(), R"({"type":"HEARTBEAT"})");
  EXPECT_EQ(client.body().substr(before), "20\n{\"type\":\"HEARTBEAT\"}");
}

// Issue #17, item 8: protobuf strings are bytes on the wire; a framework
// named with bytes that are not UTF-8 still gets JSON that parses, from its
// event stream and from /master/state (the bytes become U+FFFD).
TEST_F(MasterHttpTest, BytesThatAreNotUtf8StillMakeValidJson) {
  Call call = SubscribeCall();
  call.mutable_subscribe()->mutable_framework_info()->set_name("web\xc0\xaf");
  RawClient client(master_->port());
  client.Send(Request("POST", "/api/v1/scheduler", {"Content-Type: application/x-protobuf"},
                      call.SerializeAsString()));
  ASSERT_EQ(client.ReadHead().status, 200);
  const auto subscribed = nlohmann::json::parse(client.NextRecord(), nullptr, false);
  ASSERT_FALSE(subscribed.is_discarded());
  EXPECT_EQ(subscribed["type"], "SUBSCRIBED");
  Reply state = Exchange(Request("GET", "/master/state", {}, ""));
  ASSERT_EQ(state.status, 200);
  const auto parsed = nlohmann::json::parse(state.body, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << state.body;
  ASSERT_EQ(parsed["frameworks"].size(), 1u);
  EXPECT_EQ(parsed["frameworks"][0]["name"], "web\xef\xbf\xbd\xef\xbf\xbd");
}

// The SUBSCRIBE of the npm `mesos-framework` library (0.5.3): JSON with
// every unset field null, no Accept header. Mesos reads null as unset.
TEST_F(MasterHttpTest, JsonSubscribeWithNullFieldsIsAccepted) {
  RawClient client(master_->port());
  client.Send(Request(
      "POST", "/api/v1/scheduler", {"Content-Type: application/json"},
      R"({"framework_id":null,"type":"SUBSCRIBE","subscribe":{"framework_info":)"
      R"({"user":"root","name":"x","id":null,"failover_timeout":604800,"checkpoint":null,)"
      R"("role":null,"hostname":null,"principal":null,"webui_url":null,)"
      R"("capabilities":null,"labels":null}},"accept":null,"decline":null,"kill":null,)"
      R"("shutdown":null,"acknowledge":null,"reconcile":null,"message":null,"request":null})"));
  Reply head = client.ReadHead();
  ASSERT_EQ(head.status, 200) << head.body;
  EXPECT_TRUE(head.Has("mesos-stream-id"));
  EXPECT_EQ(head.Header("content-type"), "application/json");
  const auto subscribed = nlohmann::json::parse(client.NextRecord());
  EXPECT_EQ(subscribed["type"], "SUBSCRIBED");
}

// lowerCamelCase keys are not Mesos field names: ignored, so the call
// lacks its required fields.
TEST_F(MasterHttpTest, JsonWithCamelCaseKeysIs400) {
  Reply reply = Exchange(
      Request("POST", "/api/v1/scheduler", {"Content-Type: application/json"},
              R"({"type":"SUBSCRIBE","subscribe":{"frameworkInfo":{"user":"u","name":"n"}}})"));
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "the Call lacks required fields: subscribe.framework_info");
}

TEST_F(MasterHttpTest, JsonCallsAreAccepted) {
  RawClient stream(master_->port());
  std::string framework_id;
  const std::string stream_id = Subscribe(&stream, SubscribeCall(), &framework_id);
  Reply reply = Exchange(Request(
      "POST", "/api/v1/scheduler",
      {"Content-Type: application/json", "Mesos-Stream-Id: " + stream_id},
      R"({"type":"RECONCILE","framework_id":{"value":")" + framework_id + R"("},"reconcile":{}})"));
  EXPECT_EQ(reply.status, 202);
}

TEST_F(MasterHttpTest, CallsAreCheckedAgainstTheSubscription) {
  Call revive = NewCall(Call::REVIVE, "nobody");
  Reply reply = PostCall(revive, "x");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("this master knows no framework"), std::string::npos) << reply.body;

  RawClient stream(master_->port());
  std::string framework_id;
  const std::string stream_id = Subscribe(&stream, SubscribeCall(), &framework_id);
  revive = NewCall(Call::REVIVE, framework_id);
  reply = PostCall(revive, "");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("Mesos-Stream-Id header"), std::string::npos) << reply.body;
  reply = PostCall(revive, "wrong");
  EXPECT_EQ(reply.status, 400);
  reply = PostCall(revive, stream_id);
  EXPECT_EQ(reply.status, 202);
  EXPECT_EQ(reply.Header("content-length"), "0");
  EXPECT_EQ(reply.body, "");
  reply = PostCall(NewCall(Call::UNKNOWN, framework_id), stream_id);
  EXPECT_EQ(reply.status, 501);
}

TEST_F(MasterHttpTest, DisconnectedFrameworkIsForbiddenUntilItResubscribes) {
  std::string framework_id, stream_id;
  {
    RawClient stream(master_->port());
    stream_id = Subscribe(&stream, SubscribeCall(3600), &framework_id);
  }  // the subscription connection closes
  Reply reply;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  do {  // the master notices the close asynchronously
    reply = PostCall(NewCall(Call::REVIVE, framework_id), stream_id);
  } while (reply.status == 202 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(reply.status, 403);
  EXPECT_NE(reply.body.find("has no open subscription"), std::string::npos) << reply.body;

  RawClient again(master_->port());
  std::string same_id;
  const std::string new_stream = Subscribe(&again, SubscribeCall(3600, framework_id), &same_id);
  EXPECT_EQ(same_id, framework_id);
  EXPECT_NE(new_stream, stream_id);
  EXPECT_EQ(PostCall(NewCall(Call::REVIVE, framework_id), new_stream).status, 202);
}

TEST_F(MasterHttpTest, ASecondSubscriptionFailsOverTheFirstStream) {
  RawClient first(master_->port());
  std::string framework_id;
  Subscribe(&first, SubscribeCall(3600), &framework_id);
  RawClient second(master_->port());
  std::string same;
  Subscribe(&second, SubscribeCall(3600, framework_id), &same);
  Event error = first.NextEvent();
  EXPECT_EQ(error.type(), Event::ERROR);
  EXPECT_NE(error.error().message().find("another scheduler subscribed"), std::string::npos);
  EXPECT_EQ(first.NextChunk(), "");  // the final chunk
}

TEST_F(MasterHttpTest, HeartbeatsRepeatAtTheInterval) {
  StartMaster({}, 30);
  RawClient stream(master_->port());
  std::string framework_id;
  Subscribe(&stream, SubscribeCall(), &framework_id);
  EXPECT_EQ(stream.NextEvent().type(), Event::HEARTBEAT);
  EXPECT_EQ(stream.NextEvent().type(), Event::HEARTBEAT);
}

TEST_F(MasterHttpTest, CredentialsAreRequiredWhenConfigured) {
  StartMaster({{"alice", "s3cret"}});
  Reply reply = PostCall(SubscribeCall(), "");
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.Header("www-authenticate"), "Basic realm=\"mesos-master-scheduler\"");
  reply = PostCall(SubscribeCall(), "", {"Authorization: Basic " + Base64Encode("alice:wrong")});
  EXPECT_EQ(reply.status, 401);
  // 401 comes before everything else, even the method check.
  EXPECT_EQ(Exchange(Request("GET", "/api/v1/scheduler", {}, "")).status, 401);

  RawClient stream(master_->port());
  stream.Send(Request("POST", "/api/v1/scheduler",
                      {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf",
                       "Authorization: Basic " + Base64Encode("alice:s3cret")},
                      SubscribeCall().SerializeAsString()));
  EXPECT_EQ(stream.ReadHead().status, 200);
  EXPECT_EQ(stream.NextEvent().type(), Event::SUBSCRIBED);
}

// Issue #17, item 4: 255 held SUBSCRIBE streams made every other request
// 503, /health included. Streams now have limits -- per client address, per
// principal, in all -- that leave connections for everything else, and the
// 503 says which limit refused the SUBSCRIBE.
TEST_F(MasterHttpTest, SubscriptionStreamsHaveLimitsThatLeaveRoomForEverythingElse) {
  Master::Options options;
  options.allocation_interval = 20;
  options.heartbeat_interval = 60'000;
  options.credentials = {{"ops", "pw"}, {"dev", "pw"}};
  options.max_connections = 8;
  options.max_streams = 4;
  options.max_streams_per_address = 3;
  options.max_streams_per_principal = 2;
  master_.reset();
  auto started = Master::Start(options);
  ASSERT_TRUE(started.ok()) << started.message();
  master_ = std::move(started).value();

  std::vector<std::unique_ptr<RawClient>> held;
  const auto subscribe = [&](const std::string& from, const std::string& principal) {
    held.push_back(std::make_unique<RawClient>(master_->port(), from));
    held.back()->Send(
        Request("POST", "/api/v1/scheduler",
                {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf",
                 "Authorization: Basic " + Base64Encode(principal + ":pw")},
                SubscribeCall().SerializeAsString()));
    Reply reply = held.back()->Read();  // a stream has no Content-Length: the head only
    if (reply.status != 200) return std::to_string(reply.status) + reply.body;
    EXPECT_EQ(held.back()->NextEvent().type(), Event::SUBSCRIBED);
    return std::string("200");
  };
  EXPECT_EQ(subscribe("127.0.0.1", "ops"), "200");
  EXPECT_EQ(subscribe("127.0.0.1", "ops"), "200");
  EXPECT_EQ(subscribe("127.0.0.1", "ops"),
            "503the master holds 2 subscription streams of principal 'ops', its limit; try "
            "again once one has ended");
  EXPECT_EQ(subscribe("127.0.0.1", "dev"), "200");
  EXPECT_EQ(subscribe("127.0.0.1", "dev"),
            "503the master holds 3 subscription streams from 127.0.0.1, its limit; try again "
            "once one has ended");
  EXPECT_EQ(subscribe("127.0.0.3", "dev"), "200");
  EXPECT_EQ(subscribe("127.0.0.4", "dev"),
            "503the master holds 4 subscription streams, its limit; try again once one has "
            "ended");
  // Four connections hold streams; the others still serve.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Exchange(Request("GET", "/health", {}, "")).status, 200);
    EXPECT_EQ(Exchange(Request("GET", "/master/state", {}, "")).status, 200);
  }
}

TEST_F(MasterHttpTest, OfferAcceptLaunchUpdateAndAcknowledgeOverTheWire) {
  const std::string agent_id = AddAgent();
  RawClient stream(master_->port());
  std::string framework_id;
  const std::string stream_id = Subscribe(&stream, SubscribeCall(), &framework_id);
  Event offers = stream.NextEventOfType(Event::OFFERS);
  ASSERT_EQ(offers.offers().offers_size(), 1);
  const mesos::v1::Offer& offer = offers.offers().offers(0);

  Call accept = NewCall(Call::ACCEPT, framework_id);
  *accept.mutable_accept()->add_offer_ids() = offer.id();
  auto* op = accept.mutable_accept()->add_operations();
  op->set_type(mesos::v1::Offer::Operation::LAUNCH);
  mesos::v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
  task->set_name("t1");
  task->mutable_task_id()->set_value("t1");
  *task->mutable_agent_id() = offer.agent_id();
  *task->add_resources() = Scalar("cpus", 1);
  task->mutable_command()->set_value("true");
  EXPECT_EQ(PostCall(accept, stream_id).status, 202);
  auto launch = agent_.WaitFor<LaunchTasks>();
  ASSERT_TRUE(launch.has_value());
  EXPECT_EQ(launch->tasks[0].task_id().value(), "t1");

  mesos::v1::TaskStatus running;
  running.mutable_task_id()->set_value("t1");
  running.set_state(mesos::v1::TASK_RUNNING);
  running.set_source(mesos::v1::TaskStatus::SOURCE_EXECUTOR);
  running.set_uuid(std::string(16, 'R'));
  master_->StatusUpdate(agent_id, framework_id, running);
  Event update = stream.NextEventOfType(Event::UPDATE);
  EXPECT_EQ(update.update().status().state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(update.update().status().uuid(), running.uuid());

  Call ack = NewCall(Call::ACKNOWLEDGE, framework_id);
  ack.mutable_acknowledge()->mutable_agent_id()->set_value(agent_id);
  ack.mutable_acknowledge()->mutable_task_id()->set_value("t1");
  ack.mutable_acknowledge()->set_uuid(running.uuid());
  EXPECT_EQ(PostCall(ack, stream_id).status, 202);
  auto acknowledged = agent_.WaitFor<AcknowledgeUpdate>();
  ASSERT_TRUE(acknowledged.has_value());
  EXPECT_EQ(acknowledged->uuid, running.uuid());

  const auto state = nlohmann::json::parse(Exchange(Request("GET", "/master/state", {}, "")).body);
  ASSERT_EQ(state["frameworks"].size(), 1u);
  EXPECT_EQ(state["frameworks"][0]["id"], framework_id);
  EXPECT_EQ(state["frameworks"][0]["tasks"][0]["state"], "TASK_RUNNING");
  ASSERT_EQ(state["slaves"].size(), 1u);
  EXPECT_EQ(state["slaves"][0]["id"], agent_id);
}

TEST_F(MasterHttpTest, UnacknowledgedUpdateIsSentAgainAfterReconnecting) {
  const std::string agent_id = AddAgent();
  std::string framework_id;
  mesos::v1::TaskStatus running;
  {
    RawClient stream(master_->port());
    const std::string stream_id = Subscribe(&stream, SubscribeCall(3600), &framework_id);
    Event offers = stream.NextEventOfType(Event::OFFERS);
    const mesos::v1::Offer& offer = offers.offers().offers(0);
    Call accept = NewCall(Call::ACCEPT, framework_id);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* op = accept.mutable_accept()->add_operations();
    op->set_type(mesos::v1::Offer::Operation::LAUNCH);
    mesos::v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
    task->set_name("t1");
    task->mutable_task_id()->set_value("t1");
    *task->mutable_agent_id() = offer.agent_id();
    *task->add_resources() = Scalar("cpus", 1);
    task->mutable_command()->set_value("true");
    ASSERT_EQ(PostCall(accept, stream_id).status, 202);
    ASSERT_TRUE(agent_.WaitFor<LaunchTasks>().has_value());
    running.mutable_task_id()->set_value("t1");
    running.set_state(mesos::v1::TASK_RUNNING);
    running.set_uuid(std::string(16, 'R'));
    master_->StatusUpdate(agent_id, framework_id, running);
    EXPECT_EQ(stream.NextEventOfType(Event::UPDATE).update().status().uuid(), running.uuid());
  }  // dropped before acknowledging
  RawClient again(master_->port());
  again.Send(Request("POST", "/api/v1/scheduler",
                     {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf"},
                     SubscribeCall(3600, framework_id).SerializeAsString()));
  EXPECT_EQ(again.ReadHead().status, 200);
  Event update = again.NextEventOfType(Event::UPDATE);
  EXPECT_EQ(update.update().status().uuid(), running.uuid());
}

// The other scheduler calls over the wire: each answers 202 with an empty
// body, and what it does shows as events on the stream or as requests to
// the agent.
class MasterCallsTest : public MasterHttpTest {
 protected:
  void SetUp() override {
    StartMaster({}, 30);  // heartbeats every 30 ms: a clock to count on
    agent_id_ = AddAgent();
    stream_ = std::make_unique<RawClient>(master_->port());
    stream_id_ = Subscribe(stream_.get(), SubscribeCall(), &framework_id_);
  }

  // Expects 202, Content-Length 0 and no body.
  void ExpectAccepted(const Call& call) {
    Reply reply = PostCall(call, stream_id_);
    EXPECT_EQ(reply.status, 202) << Call::Type_Name(call.type()) << ": " << reply.body;
    EXPECT_EQ(reply.Header("content-length"), "0");
    EXPECT_EQ(reply.body, "");
  }

  mesos::v1::Offer NextOffer() {
    Event offers = stream_->NextEventOfType(Event::OFFERS);
    EXPECT_EQ(offers.offers().offers_size(), 1);
    return offers.offers().offers_size() > 0 ? offers.offers().offers(0) : mesos::v1::Offer();
  }

  // Launches task `task_id` with custom executor "e1" on the one agent.
  void LaunchWithExecutor(const std::string& task_id) {
    const mesos::v1::Offer offer = NextOffer();
    Call accept = NewCall(Call::ACCEPT, framework_id_);
    *accept.mutable_accept()->add_offer_ids() = offer.id();
    auto* op = accept.mutable_accept()->add_operations();
    op->set_type(mesos::v1::Offer::Operation::LAUNCH);
    mesos::v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
    task->set_name(task_id);
    task->mutable_task_id()->set_value(task_id);
    *task->mutable_agent_id() = offer.agent_id();
    *task->add_resources() = Scalar("cpus", 1);
    task->mutable_executor()->mutable_executor_id()->set_value("e1");
    task->mutable_executor()->mutable_command()->set_value("./executor");
    ExpectAccepted(accept);
    auto launch = agent_.WaitFor<LaunchTasks>();
    ASSERT_TRUE(launch.has_value());
    ASSERT_EQ(launch->tasks.size(), 1u);
    EXPECT_EQ(launch->tasks[0].task_id().value(), task_id);
  }

  // Reads events for `heartbeats` heartbeats; returns those that were not.
  std::vector<Event> EventsDuringHeartbeats(int heartbeats) {
    std::vector<Event> others;
    for (int seen = 0; seen < heartbeats;) {
      Event event = stream_->NextEvent();
      if (!event.has_type()) break;  // the stream ended
      if (event.type() == Event::HEARTBEAT) {
        ++seen;
      } else {
        others.push_back(event);
      }
    }
    return others;
  }

  std::string agent_id_;
  std::unique_ptr<RawClient> stream_;
  std::string stream_id_;
  std::string framework_id_;
};

TEST_F(MasterCallsTest, DeclineReturnsTheResourcesUnderItsFilter) {
  const mesos::v1::Offer first = NextOffer();
  Call decline = NewCall(Call::DECLINE, framework_id_);
  *decline.mutable_decline()->add_offer_ids() = first.id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(3600);
  ExpectAccepted(decline);
  // Refused for an hour: 10 allocation intervals (20 ms) bring no offer.
  for (const Event& event : EventsDuringHeartbeats(10)) {
    EXPECT_NE(event.type(), Event::OFFERS);
  }
  // REVIVE clears the filter: the declined resources come back in a new offer.
  ExpectAccepted(NewCall(Call::REVIVE, framework_id_));
  const mesos::v1::Offer again = NextOffer();
  EXPECT_NE(again.id().value(), first.id().value());
  EXPECT_EQ(again.agent_id().value(), agent_id_);
  // The declined offer is gone: accepting it now loses the task.
  Call stale = NewCall(Call::ACCEPT, framework_id_);
  *stale.mutable_accept()->add_offer_ids() = first.id();
  auto* op = stale.mutable_accept()->add_operations();
  op->set_type(mesos::v1::Offer::Operation::LAUNCH);
  mesos::v1::TaskInfo* task = op->mutable_launch()->add_task_infos();
  task->set_name("late");
  task->mutable_task_id()->set_value("late");
  *task->mutable_agent_id() = first.agent_id();
  *task->add_resources() = Scalar("cpus", 1);
  task->mutable_command()->set_value("true");
  ExpectAccepted(stale);
  Event lost = stream_->NextEventOfType(Event::UPDATE);
  EXPECT_EQ(lost.update().status().task_id().value(), "late");
  EXPECT_EQ(lost.update().status().state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(lost.update().status().reason(), mesos::v1::TaskStatus::REASON_INVALID_OFFERS);
  EXPECT_FALSE(lost.update().status().has_uuid());
}

TEST_F(MasterCallsTest, SuppressStopsOffersUntilRevive) {
  const mesos::v1::Offer first = NextOffer();
  ExpectAccepted(NewCall(Call::SUPPRESS, framework_id_));
  Call decline = NewCall(Call::DECLINE, framework_id_);
  *decline.mutable_decline()->add_offer_ids() = first.id();
  decline.mutable_decline()->mutable_filters()->set_refuse_seconds(0);  // no filter
  ExpectAccepted(decline);
  for (const Event& event : EventsDuringHeartbeats(10)) {
    EXPECT_NE(event.type(), Event::OFFERS) << "offered while suppressed";
  }
  ExpectAccepted(NewCall(Call::REVIVE, framework_id_));
  EXPECT_EQ(NextOffer().agent_id().value(), agent_id_);
}

TEST_F(MasterCallsTest, KillGoesToTheAgentWithItsPolicyAndUnknownTasksAreReconciled) {
  LaunchWithExecutor("t1");
  Call kill = NewCall(Call::KILL, framework_id_);
  kill.mutable_kill()->mutable_task_id()->set_value("t1");
  kill.mutable_kill()->mutable_agent_id()->set_value(agent_id_);
  kill.mutable_kill()->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
      2'000'000'000);
  ExpectAccepted(kill);
  auto killed = agent_.WaitFor<KillTask>();
  ASSERT_TRUE(killed.has_value());
  EXPECT_EQ(killed->task_id.value(), "t1");
  EXPECT_EQ(killed->framework_id, framework_id_);
  ASSERT_TRUE(killed->kill_policy.has_value());
  EXPECT_EQ(killed->kill_policy->grace_period().nanoseconds(), 2'000'000'000);

  Call unknown = NewCall(Call::KILL, framework_id_);
  unknown.mutable_kill()->mutable_task_id()->set_value("never-launched");
  ExpectAccepted(unknown);
  Event update = stream_->NextEventOfType(Event::UPDATE);
  EXPECT_EQ(update.update().status().task_id().value(), "never-launched");
  EXPECT_EQ(update.update().status().state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(update.update().status().reason(), mesos::v1::TaskStatus::REASON_RECONCILIATION);
  EXPECT_EQ(update.update().status().source(), mesos::v1::TaskStatus::SOURCE_MASTER);
  EXPECT_FALSE(update.update().status().has_uuid());
}

TEST_F(MasterCallsTest, ShutdownGoesToTheExecutorsAgent) {
  LaunchWithExecutor("t1");
  Call shutdown = NewCall(Call::SHUTDOWN, framework_id_);
  shutdown.mutable_shutdown()->mutable_executor_id()->set_value("e1");
  shutdown.mutable_shutdown()->mutable_agent_id()->set_value(agent_id_);
  ExpectAccepted(shutdown);
  auto request = agent_.WaitFor<ShutdownExecutor>();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->agent_id, agent_id_);
  EXPECT_EQ(request->framework_id, framework_id_);
  EXPECT_EQ(request->executor_id.value(), "e1");

  Call without = NewCall(Call::SHUTDOWN, framework_id_);
  Reply reply = PostCall(without, stream_id_);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("a SHUTDOWN call carries its parameters in 'shutdown'"),
            std::string::npos)
      << reply.body;
}

TEST_F(MasterCallsTest, MessagesGoBothWays) {
  LaunchWithExecutor("t1");
  Call message = NewCall(Call::MESSAGE, framework_id_);
  message.mutable_message()->mutable_agent_id()->set_value(agent_id_);
  message.mutable_message()->mutable_executor_id()->set_value("e1");
  message.mutable_message()->set_data("to the executor\x00\xff"s);
  ExpectAccepted(message);
  auto delivered = agent_.WaitFor<FrameworkToExecutor>();
  ASSERT_TRUE(delivered.has_value());
  EXPECT_EQ(delivered->agent_id, agent_id_);
  EXPECT_EQ(delivered->framework_id, framework_id_);
  EXPECT_EQ(delivered->executor_id.value(), "e1");
  EXPECT_EQ(delivered->data, "to the executor\x00\xff"s);

  mesos::v1::ExecutorID executor;
  executor.set_value("e1");
  master_->ExecutorMessage(agent_id_, framework_id_, executor, "to the scheduler");
  Event from = stream_->NextEventOfType(Event::MESSAGE);
  EXPECT_EQ(from.message().agent_id().value(), agent_id_);
  EXPECT_EQ(from.message().executor_id().value(), "e1");
  EXPECT_EQ(from.message().data(), "to the scheduler");
}

TEST_F(MasterCallsTest, TeardownEndsTheStreamShutsTheFrameworkDownAndForgetsIt) {
  LaunchWithExecutor("t1");
  ExpectAccepted(NewCall(Call::TEARDOWN, framework_id_));
  auto request = agent_.WaitFor<ShutdownFramework>();
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->agent_id, agent_id_);
  EXPECT_EQ(request->framework_id, framework_id_);
  // The stream ends (no ERROR: the framework asked for it).
  for (std::string record; !(record = stream_->NextRecord()).empty();) {
    Event event;
    ASSERT_TRUE(event.ParseFromString(record));
    EXPECT_TRUE(event.type() == Event::HEARTBEAT || event.type() == Event::OFFERS)
        << Event::Type_Name(event.type());
  }
  Reply reply = PostCall(NewCall(Call::REVIVE, framework_id_), stream_id_);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("this master knows no framework"), std::string::npos) << reply.body;
  RawClient again(master_->port());
  again.Send(Request("POST", "/api/v1/scheduler",
                     {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf"},
                     SubscribeCall(3600, framework_id_).SerializeAsString()));
  EXPECT_EQ(again.ReadHead().status, 200);
  Event error = again.NextEvent();
  EXPECT_EQ(error.type(), Event::ERROR);
  EXPECT_EQ(error.error().message(), "Framework has been removed");
  const auto state = nlohmann::json::parse(Exchange(Request("GET", "/master/state", {}, "")).body);
  EXPECT_TRUE(state["frameworks"].empty()) << state.dump();
}

TEST_F(MasterHttpTest, RecoveringMasterAnswers503UntilRecoveryIsOver) {
  Master::Options options;
  options.allocation_interval = 20;
  options.recovering = true;
  master_.reset();
  auto started = Master::Start(options);
  ASSERT_TRUE(started.ok()) << started.message();
  master_ = std::move(started).value();
  Reply reply = PostCall(SubscribeCall(), "");
  EXPECT_EQ(reply.status, 503);
  EXPECT_NE(reply.body.find("still recovering"), std::string::npos) << reply.body;
  EXPECT_EQ(reply.Header("content-type"), "text/plain; charset=utf-8");
  // Before the method check (the order a Mesos master checks in).
  EXPECT_EQ(Exchange(Request("GET", "/api/v1/scheduler", {}, "")).status, 503);
  master_->FinishRecovery();
  RawClient stream(master_->port());
  std::string framework_id;
  EXPECT_FALSE(Subscribe(&stream, SubscribeCall(), &framework_id).empty());
}

TEST_F(MasterHttpTest, WithoutALeaderItAnswers503ThenRedirectsToTheLeader) {
  Master::Options options;
  options.elected = true;  // as with --zk, before the first election result
  master_.reset();
  auto started = Master::Start(options);
  ASSERT_TRUE(started.ok()) << started.message();
  master_ = std::move(started).value();
  Reply reply = PostCall(SubscribeCall(), "");
  EXPECT_EQ(reply.status, 503);
  EXPECT_NE(reply.body.find("no master is elected"), std::string::npos) << reply.body;
  Master::Leadership following;
  following.role = Master::Leadership::Role::kFollowing;
  following.leader = "leader.example:5050";
  master_->SetLeadership(following);
  reply =
      Exchange(Request("POST", "/master/api/v1/scheduler", {"Content-Type: application/x-protobuf"},
                       SubscribeCall().SerializeAsString()));
  EXPECT_EQ(reply.status, 307);
  EXPECT_EQ(reply.Header("location"), "//leader.example:5050/master/api/v1/scheduler");
  // Issue #18: the query string goes with the redirect.
  reply = Exchange(Request("POST", "/master/api/v1/scheduler?a=1&b=2",
                           {"Content-Type: application/x-protobuf"},
                           SubscribeCall().SerializeAsString()));
  EXPECT_EQ(reply.status, 307);
  EXPECT_EQ(reply.Header("location"), "//leader.example:5050/master/api/v1/scheduler?a=1&b=2");
  master_->SetLeadership(Master::Leadership{});
  RawClient stream(master_->port());
  std::string framework_id;
  EXPECT_FALSE(Subscribe(&stream, SubscribeCall(), &framework_id).empty());
}

TEST_F(MasterHttpTest, HealthAndStateAnswerGet) {
  Reply health = Exchange(Request("GET", "/health", {}, ""));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "");
  Reply state = Exchange(Request("GET", "/master/state", {}, ""));
  EXPECT_EQ(state.status, 200);
  EXPECT_EQ(state.Header("content-type"), "application/json");
  EXPECT_TRUE(nlohmann::json::parse(state.body)["frameworks"].is_array());
  EXPECT_EQ(Exchange(Request("GET", "/nowhere", {}, "")).status, 404);
}

// UPDATE_FRAMEWORK is synchronous: 200 with an empty body once
// applied, 400 with the reason for a change Mesos does not allow.
TEST_F(MasterHttpTest, UpdateFrameworkIs200WhenAppliedAnd400ForAChangedUser) {
  RawClient stream(master_->port());
  std::string framework_id;
  const std::string stream_id = Subscribe(&stream, SubscribeCall(), &framework_id);
  Call update = NewCall(Call::UPDATE_FRAMEWORK, framework_id);
  auto* info = update.mutable_update_framework()->mutable_framework_info();
  *info = SubscribeCall().subscribe().framework_info();
  info->mutable_id()->set_value(framework_id);
  info->set_name("renamed");
  Reply reply = PostCall(update, stream_id);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "");
  const auto state = nlohmann::json::parse(Exchange(Request("GET", "/master/state", {}, "")).body);
  ASSERT_EQ(state["frameworks"].size(), 1u);
  EXPECT_EQ(state["frameworks"][0]["name"], "renamed");

  info->set_user("mallory");
  reply = PostCall(update, stream_id);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.body, "UPDATE_FRAMEWORK cannot change FrameworkInfo.user (it is 'alice')");

  info->mutable_id()->set_value("someone-else");
  reply = PostCall(update, stream_id);
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("name two frameworks"), std::string::npos) << reply.body;
}

// The operator API (issue #24): read calls answered in the media Accept
// asks for, JSON without one.
namespace operator_api = mesos::v1::master;

std::string OperatorCall(operator_api::Call::Type type) {
  operator_api::Call call;
  call.set_type(type);
  return call.SerializeAsString();
}

TEST_F(MasterHttpTest, OperatorReadCallsAnswerInTheMediaAsked) {
  AddAgent();
  Reply reply = Exchange(Request(
      "POST", "/api/v1", {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf"},
      OperatorCall(operator_api::Call::GET_STATE)));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.Header("content-type"), "application/x-protobuf");
  operator_api::Response response;
  ASSERT_TRUE(response.ParseFromString(reply.body));
  EXPECT_EQ(response.type(), operator_api::Response::GET_STATE);
  ASSERT_EQ(response.get_state().get_agents().agents_size(), 1);
  EXPECT_EQ(response.get_state().get_agents().agents(0).agent_info().hostname(), "agent1");

  reply = Exchange(Request("POST", "/master/api/v1", {"Content-Type: application/json"},
                           R"({"type":"GET_HEALTH"})"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.Header("content-type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(reply.body),
            nlohmann::json::parse(R"({"type":"GET_HEALTH","get_health":{"healthy":true}})"));

  reply = Exchange(
      Request("POST", "/api/v1", {"Content-Type: application/json"}, R"({"type":"GET_FLAGS"})"));
  EXPECT_EQ(reply.status, 501);
  EXPECT_NE(reply.body.find("GET_FLAGS is not served"), std::string::npos) << reply.body;
  EXPECT_EQ(
      Exchange(Request("POST", "/api/v1", {"Content-Type: application/json", "Accept: text/html"},
                       R"({"type":"GET_STATE"})"))
          .status,
      406);
  EXPECT_EQ(Exchange(Request("GET", "/api/v1", {}, "")).status, 405);
}

TEST_F(MasterHttpTest, OperatorCallsNeedTheCredentialsToo) {
  StartMaster({{"alice", "s3cret"}});
  Reply reply = Exchange(Request("POST", "/api/v1", {"Content-Type: application/x-protobuf"},
                                 OperatorCall(operator_api::Call::GET_STATE)));
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(reply.Header("www-authenticate"), "Basic realm=\"mesos-master-readwrite\"");
  reply = Exchange(Request("POST", "/api/v1",
                           {"Content-Type: application/x-protobuf",
                            "Authorization: Basic " + Base64Encode("alice:s3cret")},
                           OperatorCall(operator_api::Call::GET_STATE)));
  EXPECT_EQ(reply.status, 200);
  reply = Exchange(Request("POST", "/api/v1", {"Content-Type: application/x-protobuf"},
                           OperatorCall(operator_api::Call::SUBSCRIBE)));
  EXPECT_EQ(reply.status, 401);
}

// SUBSCRIBE: the whole state, HEARTBEAT at once, then each change as it
// happens: an agent, a framework, a task, the agent marked gone.
TEST_F(MasterHttpTest, OperatorSubscribeStreamsTheStateThenEachChange) {
  RawClient watcher(master_->port());
  watcher.Send(Request("POST", "/api/v1",
                       {"Content-Type: application/x-protobuf", "Accept: application/x-protobuf"},
                       OperatorCall(operator_api::Call::SUBSCRIBE)));
  Reply head = watcher.ReadHead();
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-type"), "application/x-protobuf");
  auto next = [&watcher] {
    operator_api::Event event;
    EXPECT_TRUE(event.ParseFromString(watcher.NextRecord()));
    return event;
  };
  operator_api::Event subscribed = next();
  ASSERT_EQ(subscribed.type(), operator_api::Event::SUBSCRIBED);
  EXPECT_EQ(subscribed.subscribed().get_state().get_agents().agents_size(), 0);
  EXPECT_EQ(subscribed.subscribed().heartbeat_interval_seconds(), 60);
  EXPECT_EQ(next().type(), operator_api::Event::HEARTBEAT);

  const std::string agent_id = AddAgent();
  operator_api::Event added = next();
  ASSERT_EQ(added.type(), operator_api::Event::AGENT_ADDED);
  EXPECT_EQ(added.agent_added().agent().agent_info().id().value(), agent_id);

  RawClient scheduler(master_->port());
  std::string framework_id;
  const std::string stream_id = Subscribe(&scheduler, SubscribeCall(), &framework_id);
  operator_api::Event framework = next();
  ASSERT_EQ(framework.type(), operator_api::Event::FRAMEWORK_ADDED);
  EXPECT_EQ(framework.framework_added().framework().framework_info().id().value(), framework_id);
  EXPECT_TRUE(framework.framework_added().framework().connected());

  // A task launched on the offer, then running.
  Event offers = scheduler.NextEventOfType(Event::OFFERS);
  ASSERT_EQ(offers.type(), Event::OFFERS);
  Call accept = NewCall(Call::ACCEPT, framework_id);
  *accept.mutable_accept()->add_offer_ids() = offers.offers().offers(0).id();
  auto* operation = accept.mutable_accept()->add_operations();
  operation->set_type(mesos::v1::Offer::Operation::LAUNCH);
  mesos::v1::TaskInfo* task = operation->mutable_launch()->add_task_infos();
  task->set_name("web");
  task->mutable_task_id()->set_value("web.0");
  *task->mutable_agent_id() = offers.offers().offers(0).agent_id();
  *task->add_resources() = Scalar("cpus", 1);
  task->mutable_command()->set_value("true");
  ASSERT_EQ(PostCall(accept, stream_id).status, 202);
  operator_api::Event task_added = next();
  ASSERT_EQ(task_added.type(), operator_api::Event::TASK_ADDED);
  EXPECT_EQ(task_added.task_added().task().task_id().value(), "web.0");
  EXPECT_EQ(task_added.task_added().task().state(), mesos::v1::TASK_STAGING);
  mesos::v1::TaskStatus running;
  running.mutable_task_id()->set_value("web.0");
  running.set_state(mesos::v1::TASK_RUNNING);
  running.set_source(mesos::v1::TaskStatus::SOURCE_EXECUTOR);
  running.set_uuid(std::string(16, 'u'));
  master_->StatusUpdate(agent_id, framework_id, running);
  operator_api::Event updated = next();
  ASSERT_EQ(updated.type(), operator_api::Event::TASK_UPDATED);
  EXPECT_EQ(updated.task_updated().state(), mesos::v1::TASK_RUNNING);
  EXPECT_EQ(updated.task_updated().framework_id().value(), framework_id);

  Reply gone =
      Exchange(Request("POST", "/api/v1", {"Content-Type: application/json"},
                       R"({"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":")" +
                           agent_id + R"("}}})"));
  ASSERT_EQ(gone.status, 200) << gone.body;
  operator_api::Event event = next();
  while (event.type() == operator_api::Event::TASK_UPDATED ||
         event.type() == operator_api::Event::FRAMEWORK_UPDATED) {
    event = next();
  }
  ASSERT_EQ(event.type(), operator_api::Event::AGENT_REMOVED);
  EXPECT_EQ(event.agent_removed().agent_id().value(), agent_id);
}

TEST_F(MasterHttpTest, OperatorStreamsGetHeartbeatsAtTheInterval) {
  StartMaster({}, /*heartbeat_interval=*/50);
  RawClient watcher(master_->port());
  watcher.Send(
      Request("POST", "/api/v1", {"Content-Type: application/json"}, R"({"type":"SUBSCRIBE"})"));
  ASSERT_EQ(watcher.ReadHead().status, 200);
  const nlohmann::json subscribed = nlohmann::json::parse(watcher.NextRecord());
  EXPECT_EQ(subscribed["type"], "SUBSCRIBED");
  EXPECT_EQ(subscribed["subscribed"]["heartbeat_interval_seconds"], 0.05);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(nlohmann::json::parse(watcher.NextRecord())["type"], "HEARTBEAT");
  }
}

TEST_F(MasterHttpTest, MetricsVersionAndTheStatusPageAnswerGet) {
  AddAgent();
  Reply metrics = Exchange(Request("GET", "/metrics/snapshot", {}, ""));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("content-type"), "application/json");
  const nlohmann::json values = nlohmann::json::parse(metrics.body);
  EXPECT_EQ(values["master/slaves_active"], 1);
  EXPECT_EQ(values["master/cpus_total"], 2);
  EXPECT_EQ(values["master/elected"], 1);
  EXPECT_TRUE(values["master/uptime_secs"].is_number());
  const nlohmann::json version =
      nlohmann::json::parse(Exchange(Request("GET", "/version", {}, "")).body);
  EXPECT_EQ(version["version"], master_->master_info().version());

  Reply page = Exchange(Request("GET", "/", {}, ""));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("/status.js"), std::string::npos);
  EXPECT_NE(page.Header("content-security-policy").find("default-src 'self'"), std::string::npos);
  Reply script = Exchange(Request("GET", "/status.js", {}, ""));
  ASSERT_EQ(script.status, 200);
  EXPECT_EQ(script.Header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script.body.find("/api/v1"), std::string::npos);
  EXPECT_EQ(Exchange(Request("POST", "/metrics/snapshot", {}, "")).status, 405);
  // Where a page loaded from this master comes from, for the agents.
  const std::vector<std::string> origins = master_->PageOrigins();
  EXPECT_NE(std::find(origins.begin(), origins.end(),
                      "http://127.0.0.1:" + std::to_string(master_->port())),
            origins.end());
}

TEST(HttpRules, AcceptNegotiationFollowsLibprocess) {
  EXPECT_TRUE(AcceptsMediaType(std::nullopt, "application/json"));
  EXPECT_TRUE(AcceptsMediaType("*/*", "application/json"));
  EXPECT_TRUE(AcceptsMediaType("application/*", "application/x-protobuf"));
  EXPECT_FALSE(AcceptsMediaType("application/json;q=0", "application/json"));
  EXPECT_TRUE(AcceptsMediaType("text/html, application/x-protobuf", "application/x-protobuf"));
  EXPECT_FALSE(AcceptsMediaType("application/x-protobuf", "application/json"));
}

TEST(HttpRules, BasicAuthorizationRoundTrips) {
  auto parsed = ParseBasicAuthorization("Basic " + Base64Encode("p:s:x"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->principal, "p");
  EXPECT_EQ(parsed->secret, "s:x");
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc").has_value());
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!").has_value());
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Decode("YWI="), "ab");
  EXPECT_EQ(Base64Decode("YQ=="), "a");
  EXPECT_EQ(Base64Decode("YWJj"), "abc");
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_EQ(Base64Encode(std::string("\0\xff", 2)), "AP8=");
  EXPECT_EQ(Base64Decode("AP8="), std::string("\0\xff", 2));
  EXPECT_EQ(Base64Decode("YWI"), std::nullopt) << "not whole quads";
  EXPECT_EQ(Base64Decode("Y=I="), std::nullopt) << "padding inside";
  EXPECT_EQ(Base64Decode(" YWI"), std::nullopt) << "blanks";
  EXPECT_EQ(Base64Decode("YW*="), std::nullopt) << "not the alphabet";
}

}  // namespace
}  // namespace mlaunch::cluster

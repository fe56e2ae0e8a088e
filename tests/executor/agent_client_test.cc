// AgentClient against a fake agent served by the project's HTTP server on
// loopback, through the real libcurl client. Everything is awaited with
// condition variables and bounded waits; nothing sleeps.
#include "executor/agent_client.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "common/beast_http_client.h"
#include "common/http_server.h"
#include "common/recordio.h"
#include "tests/fakes/closed_port.h"
#include "tests/fakes/test_certificates.h"

namespace mlaunch::executor {
namespace {

namespace v1exec = mesos::v1::executor;
using namespace std::chrono_literals;

v1exec::Call Call(v1exec::Call::Type type) {
  v1exec::Call call;
  call.set_type(type);
  call.mutable_framework_id()->set_value("fw-1");
  call.mutable_executor_id()->set_value("ex-1");
  if (type == v1exec::Call::SUBSCRIBE) call.mutable_subscribe();
  return call;
}

std::string Record(v1exec::Event::Type type) {
  v1exec::Event event;
  event.set_type(type);
  return RecordIOEncode(event.SerializeAsString());
}

// An agent that opens a stream for SUBSCRIBE and records every other call.
class FakeAgent {
 public:
  explicit FakeAgent(HttpServer::Options options = {}) {
    auto server =
        HttpServer::Start(options, [this](const HttpServer::Request& r) { return Handle(r); });
    EXPECT_TRUE(server.ok());
    server_ = std::move(server.value());
  }
  ~FakeAgent() { server_->Stop(); }

  std::string endpoint() const {
    return server_->address() + ":" + std::to_string(server_->port());
  }
  std::shared_ptr<ResponseStream> AwaitStream() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return stream_ != nullptr; });
    return stream_;
  }
  std::vector<v1exec::Call> calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_;
  }
  std::vector<std::string> content_types() {
    std::lock_guard<std::mutex> lock(mutex_);
    return content_types_;
  }
  std::vector<std::string> authorizations() {
    std::lock_guard<std::mutex> lock(mutex_);
    return authorizations_;
  }

  int subscribe_status = 200;
  int call_status = 202;

 private:
  HttpServer::Response Handle(const HttpServer::Request& r) {
    v1exec::Call call;
    if (r.path() != "/api/v1/executor" || !call.ParseFromString(r.body)) {
      return HttpServer::Response::Text(400, "bad call");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.push_back(call);
    content_types_.push_back(r.headers.Get("Content-Type").value_or("") + "|" +
                             r.headers.Get("Accept").value_or(""));
    authorizations_.push_back(r.headers.Get("Authorization").value_or("(none)"));
    if (call.type() == v1exec::Call::SUBSCRIBE) {
      if (subscribe_status != 200) {
        return HttpServer::Response::Text(subscribe_status, "Framework not found");
      }
      HttpServer::Response response;
      response.headers.Add("Content-Type", "application/x-protobuf");
      response.stream = std::make_shared<ResponseStream>();
      stream_ = response.stream;
      changed_.notify_all();
      return response;
    }
    if (call_status != 202) return HttpServer::Response::Text(call_status, "Unknown executor");
    HttpServer::Response accepted;
    accepted.status = 202;
    return accepted;
  }

  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<ResponseStream> stream_;
  std::vector<v1exec::Call> calls_;
  std::vector<std::string> authorizations_;
  std::vector<std::string> content_types_;
};

struct Reports {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<v1exec::Event> events;
  std::vector<std::string> disconnects;

  AgentClient::Callbacks Callbacks() {
    return {[this](const v1exec::Event& e) {
              std::lock_guard<std::mutex> lock(mutex);
              events.push_back(e);
              changed.notify_all();
            },
            [this](const std::string& why) {
              std::lock_guard<std::mutex> lock(mutex);
              disconnects.push_back(why);
              changed.notify_all();
            }};
  }
  bool Await(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, 10s, done);
  }
};

// A plain-HTTP link to `endpoint`, without a token.
AgentLink Link(const std::string& endpoint) {
  AgentLink link;
  link.endpoint = endpoint;
  return link;
}

TEST(AgentClient, SubscribesInProtobufAndDeliversEventsSplitAnywhere) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  auto stream = agent.AwaitStream();
  ASSERT_NE(stream, nullptr);
  std::string bytes = Record(v1exec::Event::SUBSCRIBED) + Record(v1exec::Event::LAUNCH);
  stream->Write(bytes.substr(0, 1));
  stream->Write(bytes.substr(1, 5));
  stream->Write(bytes.substr(6));
  ASSERT_TRUE(reports.Await([&] { return reports.events.size() == 2; }));
  EXPECT_EQ(reports.events[0].type(), v1exec::Event::SUBSCRIBED);
  EXPECT_EQ(reports.events[1].type(), v1exec::Event::LAUNCH);
  EXPECT_EQ(agent.content_types()[0], "application/x-protobuf|application/x-protobuf");
  EXPECT_TRUE(reports.disconnects.empty());
}

TEST(AgentClient, SendsCallsAndAcceptsOnly202) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  ASSERT_TRUE(client.Send(Call(v1exec::Call::MESSAGE)).ok());
  ASSERT_EQ(agent.calls().size(), 1u);
  EXPECT_EQ(agent.calls()[0].type(), v1exec::Call::MESSAGE);

  agent.call_status = 400;
  Status refused = client.Send(Call(v1exec::Call::UPDATE));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("400"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("Unknown executor"), std::string::npos) << refused.message();
}

TEST(AgentClient, ReportsTheAgentClosingTheStream) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  auto stream = agent.AwaitStream();
  ASSERT_NE(stream, nullptr);
  stream->Close();
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() == 1; }));
}

TEST(AgentClient, ReportsARefusedSubscribeWithTheAgentsText) {
  FakeAgent agent;
  agent.subscribe_status = 404;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() == 1; }));
  EXPECT_NE(reports.disconnects[0].find("404"), std::string::npos) << reports.disconnects[0];
  EXPECT_NE(reports.disconnects[0].find("Framework not found"), std::string::npos);
}

TEST(AgentClient, ReportsAnAgentThatIsNotThere) {
  const ClosedPort closed;
  const std::string endpoint = closed.endpoint();
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(endpoint), reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() == 1; }));
  EXPECT_FALSE(client.Send(Call(v1exec::Call::MESSAGE)).ok());
}

TEST(AgentClient, StopEndsTheStreamWithoutReportingIt) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  ASSERT_NE(agent.AwaitStream(), nullptr);
  client.Stop();
  EXPECT_TRUE(reports.disconnects.empty());
}

TEST(AgentClient, ReportsAStreamThatIsNotRecordIO) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  auto stream = agent.AwaitStream();
  ASSERT_NE(stream, nullptr);
  stream->Write("x\n");
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() == 1; }));
  EXPECT_NE(reports.disconnects[0].find("RecordIO"), std::string::npos) << reports.disconnects[0];
}

TEST(AgentClient, SendsTheAgentsTokenWithEveryRequest) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentLink link = Link(agent.endpoint());
  link.token = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl";
  AgentClient client(http, link, reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  ASSERT_NE(agent.AwaitStream(), nullptr);
  ASSERT_TRUE(client.Send(Call(v1exec::Call::MESSAGE)).ok());
  EXPECT_EQ(agent.authorizations(),
            (std::vector<std::string>{"Bearer " + link.token, "Bearer " + link.token}));
}

TEST(AgentClient, SendsNoAuthorizationWithoutAToken) {
  FakeAgent agent;
  BeastHttpClient http;
  Reports reports;
  AgentClient client(http, Link(agent.endpoint()), reports.Callbacks());
  ASSERT_TRUE(client.Send(Call(v1exec::Call::MESSAGE)).ok());
  EXPECT_EQ(agent.authorizations(), std::vector<std::string>{"(none)"});
}

// An agent that serves HTTPS, with the test CA's certificate for 127.0.0.1.
HttpServer::Options TlsAgent() {
  HttpServer::Options options;
  options.tls_cert_file = TestCertificates::Get().server_cert;
  options.tls_key_file = TestCertificates::Get().server_key;
  return options;
}

TEST(AgentClient, SpeaksHttpsToAnAgentThatServesIt) {
  ASSERT_EQ(TestCertificates::Get().error, "");
  for (bool verify : {false, true}) {
    FakeAgent agent(TlsAgent());
    BeastHttpClient http;
    Reports reports;
    AgentLink link = Link(agent.endpoint());
    link.tls = true;
    link.verify_tls = verify;
    if (verify) link.ca_file = TestCertificates::Get().ca_file;
    AgentClient client(http, link, reports.Callbacks());
    EXPECT_EQ(client.url(), "https://" + agent.endpoint() + "/api/v1/executor");
    client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
    auto stream = agent.AwaitStream();
    ASSERT_NE(stream, nullptr) << "verify=" << verify;
    stream->Write(Record(v1exec::Event::SUBSCRIBED));
    ASSERT_TRUE(reports.Await([&] { return reports.events.size() == 1; }));
    EXPECT_TRUE(client.Send(Call(v1exec::Call::MESSAGE)).ok());
  }
}

TEST(AgentClient, AnAgentCertificateFromAnotherCaIsRefusedWhenVerifying) {
  ASSERT_EQ(TestCertificates::Get().error, "");
  FakeAgent agent(TlsAgent());
  BeastHttpClient http;
  Reports reports;
  AgentLink link = Link(agent.endpoint());
  link.tls = true;
  link.verify_tls = true;
  link.ca_file = TestCertificates::Get().other_ca_file;
  AgentClient client(http, link, reports.Callbacks());
  client.Subscribe(Call(v1exec::Call::SUBSCRIBE));
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() == 1; }));
  EXPECT_NE(reports.disconnects[0].find("certificate could not be verified"), std::string::npos)
      << reports.disconnects[0];
  Status sent = client.Send(Call(v1exec::Call::MESSAGE));
  EXPECT_EQ(sent.code(), StatusCode::kUntrusted) << sent.message();
  EXPECT_TRUE(agent.calls().empty());
}

}  // namespace
}  // namespace mlaunch::executor

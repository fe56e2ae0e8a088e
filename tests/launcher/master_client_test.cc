// MasterClient against fake masters served by the project's HTTP server on
// loopback, through the real libcurl client. Everything is awaited with
// condition variables and bounded waits; nothing sleeps.
#include "launcher/master_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "common/curl_http_client.h"
#include "common/http_server.h"
#include "common/recordio.h"
#include "tests/fakes/closed_port.h"
#include "tests/fakes/fake_master.h"

namespace mlaunch {
namespace {

namespace sched = mesos::v1::scheduler;
using namespace std::chrono_literals;

std::string Record(const sched::Event& event) { return RecordIOEncode(event.SerializeAsString()); }

sched::Event Subscribed(const std::string& framework_id, double heartbeat = 15) {
  sched::Event e;
  e.set_type(sched::Event::SUBSCRIBED);
  e.mutable_subscribed()->mutable_framework_id()->set_value(framework_id);
  e.mutable_subscribed()->set_heartbeat_interval_seconds(heartbeat);
  return e;
}

using mlaunch::testing::FakeMaster;

// What the client reported, awaitable.
struct Reports {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<sched::Event> events;
  std::vector<std::string> disconnects;
  std::optional<std::string> fatal;

  MasterClient::Callbacks Callbacks() {
    MasterClient::Callbacks c;
    c.on_event = [this](MasterClient::EventPtr event) {
      const sched::Event& e = *event;
      std::lock_guard<std::mutex> lock(mutex);
      events.push_back(e);
      changed.notify_all();
    };
    c.on_disconnected = [this](const std::string& why) {
      std::lock_guard<std::mutex> lock(mutex);
      disconnects.push_back(why);
      changed.notify_all();
    };
    c.on_fatal = [this](const std::string& why) {
      std::lock_guard<std::mutex> lock(mutex);
      fatal = why;
      changed.notify_all();
    };
    return c;
  }
  bool Await(const std::function<bool()>& done) {
    std::unique_lock<std::mutex> lock(mutex);
    return changed.wait_for(lock, 10s, done);
  }
  int Subscribed() {
    return static_cast<int>(std::count_if(events.begin(), events.end(), [](const sched::Event& e) {
      return e.type() == sched::Event::SUBSCRIBED;
    }));
  }
};

MasterClient::Options OptionsFor(std::vector<std::string> masters) {
  MasterClient::Options o;
  o.masters = [masters] { return masters; };
  o.backoff_min = 10ms;
  o.backoff_max = 50ms;
  return o;
}

sched::Call SubscribeCall(const std::string& framework_id = "") {
  sched::Call c;
  c.set_type(sched::Call::SUBSCRIBE);
  c.mutable_subscribe()->mutable_framework_info()->set_user("u");
  c.mutable_subscribe()->mutable_framework_info()->set_name("t");
  if (!framework_id.empty()) {
    c.mutable_framework_id()->set_value(framework_id);
    c.mutable_subscribe()->mutable_framework_info()->mutable_id()->set_value(framework_id);
  }
  return c;
}

sched::Call Decline() {
  sched::Call c;
  c.set_type(sched::Call::DECLINE);
  c.mutable_framework_id()->set_value("fw-1");
  c.mutable_decline()->add_offer_ids()->set_value("o1");
  return c;
}

TEST(MasterClient, SubscribesDecodesEventsAndSendsCallsWithTheStreamId) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster master([&](const sched::Call&, int) {
    auto r = master.Stream(&stream, "stream-7");
    stream->Write(Record(Subscribed("fw-1")));
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  EXPECT_EQ(client.leader(), master.url());

  // A heartbeat split across two chunks still arrives whole.
  sched::Event heartbeat;
  heartbeat.set_type(sched::Event::HEARTBEAT);
  std::string bytes = Record(heartbeat);
  stream->Write(bytes.substr(0, 1));
  stream->Write(bytes.substr(1));
  ASSERT_TRUE(reports.Await([&] { return reports.events.size() == 2; }));
  EXPECT_EQ(reports.events[1].type(), sched::Event::HEARTBEAT);

  ASSERT_TRUE(client.Send(Decline()).ok());
  auto calls = master.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, "stream-7");
  EXPECT_EQ(calls[0].second.type(), sched::Call::DECLINE);
  client.Stop();
}

TEST(MasterClient, CallsTheMasterRefusesCarryItsText) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster master(
      [&](const sched::Call&, int) {
        auto r = FakeMaster::Stream(&stream, "s");
        stream->Write(Record(Subscribed("fw-1")));
        return r;
      },
      [](const sched::Call&, const std::string&) {
        return HttpServer::Response::Text(400, "Framework cannot be found");
      });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  EXPECT_FALSE(client.Send(Decline()).ok());  // not subscribed yet
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  Status sent = client.Send(Decline());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.message(), "the master answered 400 to DECLINE: Framework cannot be found");
}

TEST(MasterClient, FollowsARedirectToTheLeader) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster leader([&](const sched::Call&, int) {
    auto r = leader.Stream(&stream, "s");
    stream->Write(Record(Subscribed("fw-1")));
    return r;
  });
  std::string location = "//" + leader.url().substr(7) + "/master/api/v1/scheduler";
  FakeMaster follower([&](const sched::Call&, int) {
    HttpServer::Response r;
    r.status = 307;
    r.headers.Add("Location", location);
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({follower.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  EXPECT_EQ(client.leader(), leader.url());
  ASSERT_TRUE(client.Send(Decline()).ok());
  EXPECT_EQ(leader.calls().size(), 1u);
}

TEST(MasterClient, RetriesWhileTheMasterIsUnavailable) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster master([&](const sched::Call&, int attempt) {
    if (attempt < 3) return HttpServer::Response::Text(503, "No leader elected");
    auto r = master.Stream(&stream, "s");
    stream->Write(Record(Subscribed("fw-1")));
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  ASSERT_GE(reports.disconnects.size(), 2u);
  EXPECT_NE(reports.disconnects[0].find("answered 503: No leader elected; retrying in"),
            std::string::npos)
      << reports.disconnects[0];
}

TEST(MasterClient, RefusedCredentialsAreFatal) {
  FakeMaster master([](const sched::Call&, int) {
    HttpServer::Response r = HttpServer::Response::Text(401, "Unauthenticated");
    r.headers.Add("WWW-Authenticate", "Basic realm=\"mesos\"");
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.fatal.has_value(); }));
  EXPECT_EQ(*reports.fatal, master.url() + " refused the framework (401): Unauthenticated");
  EXPECT_TRUE(master.AwaitSubscribes(1));
}

TEST(MasterClient, AnErrorEventThenEndOfStreamIsFatal) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster master([&](const sched::Call&, int) {
    auto r = master.Stream(&stream, "s");
    sched::Event error;
    error.set_type(sched::Event::ERROR);
    error.mutable_error()->set_message("Framework has been removed");
    stream->Write(Record(error));
    stream->Close();
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall("fw-old"); });
  ASSERT_TRUE(reports.Await([&] { return reports.fatal.has_value(); }));
  EXPECT_EQ(*reports.fatal, "the master says: Framework has been removed");
  EXPECT_TRUE(reports.disconnects.empty());
}

TEST(MasterClient, SilenceBeyondFiveHeartbeatsReconnectsWithTheFrameworkId) {
  std::mutex m;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  FakeMaster master([&](const sched::Call&, int) {
    std::shared_ptr<ResponseStream> stream;
    auto r = master.Stream(&stream, "s");
    stream->Write(Record(Subscribed("fw-1", /*heartbeat=*/0.05)));
    std::lock_guard<std::mutex> lock(m);
    streams.push_back(stream);  // kept open, never written again
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  std::atomic<bool> have_id{false};
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([&] { return SubscribeCall(have_id ? "fw-1" : ""); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  have_id = true;
  ASSERT_TRUE(master.AwaitSubscribes(2));
  ASSERT_TRUE(reports.Await([&] { return !reports.disconnects.empty(); }));
  EXPECT_EQ(reports.disconnects[0].rfind("no heartbeat for 0.2s", 0), 0u) << reports.disconnects[0];
  EXPECT_EQ(master.subscribe_calls()[1].framework_id().value(), "fw-1");
}

TEST(MasterClient, AStreamCutInsideAnEventReconnects) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster master([&](const sched::Call&, int attempt) {
    std::shared_ptr<ResponseStream> s;
    auto r = master.Stream(&s, "s");
    s->Write(Record(Subscribed("fw-1")));
    if (attempt == 1) {
      s->Write("10\nabc");
      s->Close();
    } else {
      stream = s;
    }
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 2; }));
  ASSERT_FALSE(reports.disconnects.empty());
  EXPECT_NE(reports.disconnects[0].find("the stream ended inside an event"), std::string::npos)
      << reports.disconnects[0];
}

TEST(MasterClient, TriesTheNextMasterWhenOneIsDown) {
  std::shared_ptr<ResponseStream> stream;
  FakeMaster up([&](const sched::Call&, int) {
    auto r = up.Stream(&stream, "s");
    stream->Write(Record(Subscribed("fw-1")));
    return r;
  });
  const ClosedPort closed;
  const std::string down = closed.url();
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({down, up.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  EXPECT_EQ(client.leader(), up.url());
}

TEST(MasterClient, ResubscribingTakesTheNewStreamIdAndSubscribeCarriesNone) {
  std::mutex m;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  FakeMaster master([&](const sched::Call&, int attempt) {
    std::shared_ptr<ResponseStream> stream;
    auto r = master.Stream(&stream, "stream-" + std::to_string(attempt));
    stream->Write(Record(Subscribed("fw-1")));
    if (attempt == 1) stream->Close();  // the master goes away once
    std::lock_guard<std::mutex> lock(m);
    streams.push_back(stream);
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 2; }));
  ASSERT_TRUE(client.Send(Decline()).ok());
  auto calls = master.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].first, "stream-2");

  auto headers = master.subscribe_headers();
  ASSERT_EQ(headers.size(), 2u);
  for (const HttpHeaders& h : headers) {
    EXPECT_EQ(h.Get("Content-Type").value_or(""), "application/x-protobuf");
    EXPECT_EQ(h.Get("Accept").value_or(""), "application/x-protobuf");
    EXPECT_FALSE(h.Get("Mesos-Stream-Id").has_value());
  }
}

TEST(MasterClient, ForbiddenIsFatal) {
  FakeMaster master([](const sched::Call&, int) {
    return HttpServer::Response::Text(403, "Not authorized to use roles '*'");
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, OptionsFor({master.url()}), reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.fatal.has_value(); }));
  EXPECT_EQ(*reports.fatal,
            master.url() + " refused the framework (403): Not authorized to use roles '*'");
  EXPECT_TRUE(reports.disconnects.empty());
}

TEST(MasterClient, ARedirectLoopIsCutAfterMaxRedirects) {
  std::string location;
  FakeMaster master([&](const sched::Call&, int) {
    HttpServer::Response r;
    r.status = 307;
    r.headers.Add("Location", location);
    return r;
  });
  location = "//" + master.url().substr(7) + "/master/api/v1/scheduler";
  CurlHttpClient http;
  Reports reports;
  MasterClient::Options options = OptionsFor({master.url()});
  options.max_redirects = 3;
  MasterClient client(http, options, reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return !reports.disconnects.empty(); }));
  EXPECT_EQ(reports.disconnects[0].rfind("more than 3 redirects, last to " + master.url() +
                                             "/master/api/v1/scheduler; retrying in",
                                         0),
            0u)
      << reports.disconnects[0];
  client.Stop();
  // The first SUBSCRIBE and three redirects followed, then the round ends.
  EXPECT_GE(master.subscribe_calls().size(), 4u);
}

// A master that takes the connection but never answers, and one that
// answers 200 but never sends SUBSCRIBED, are both left after five of
// Mesos' default 15 s heartbeats (here scaled down by heartbeat_misses).
TEST(MasterClient, AMasterThatNeverAnswersSubscribeIsLeft) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(listener, 16), 0);  // the kernel takes connections; nobody reads them
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  CurlHttpClient http;
  Reports reports;
  MasterClient::Options options = OptionsFor({url});
  options.heartbeat_misses = 0.02;  // 5 x 15 s becomes 0.3 s
  MasterClient client(http, options, reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() >= 2; }));
  EXPECT_EQ(reports.disconnects[0].rfind(url + ": no answer to SUBSCRIBE for 0.3s; retrying in", 0),
            0u)
      << reports.disconnects[0];
  client.Stop();
  close(listener);
}

TEST(MasterClient, AStreamWithoutSubscribedIsLeft) {
  std::mutex m;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  FakeMaster master([&](const sched::Call&, int) {
    std::shared_ptr<ResponseStream> stream;
    auto r = master.Stream(&stream, "s");  // headers, then nothing
    std::lock_guard<std::mutex> lock(m);
    streams.push_back(stream);
    return r;
  });
  CurlHttpClient http;
  Reports reports;
  MasterClient::Options options = OptionsFor({master.url()});
  options.heartbeat_misses = 0.02;
  MasterClient client(http, options, reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return !reports.disconnects.empty(); }));
  EXPECT_EQ(reports.disconnects[0].rfind(master.url() + ": no answer to SUBSCRIBE for 0.3s", 0), 0u)
      << reports.disconnects[0];
  EXPECT_TRUE(master.AwaitSubscribes(2));
}

// Two fake masters, each streaming SUBSCRIBED and keeping the stream open,
// and a masters() list that names the old one until NewLeader().
struct LeaderChange {
  LeaderChange() {
    auto script = [this](FakeMaster& self) {
      return [this, &self](const sched::Call&, int) {
        std::shared_ptr<ResponseStream> stream;
        auto r = self.Stream(&stream, "s");
        stream->Write(Record(Subscribed("fw-1")));
        std::lock_guard<std::mutex> lock(mutex);
        streams.push_back(stream);  // stays open
        return r;
      };
    };
    old_leader = std::make_unique<FakeMaster>(
        [this, script](const sched::Call& c, int a) { return script(*old_leader)(c, a); });
    new_leader = std::make_unique<FakeMaster>(
        [this, script](const sched::Call& c, int a) { return script(*new_leader)(c, a); });
    masters = {old_leader->url()};
  }
  MasterClient::Options Options() {
    MasterClient::Options options = OptionsFor({});
    options.masters = [this] {
      std::lock_guard<std::mutex> lock(mutex);
      return masters;
    };
    return options;
  }
  void NewLeader() {
    std::lock_guard<std::mutex> lock(mutex);
    masters = {new_leader->url()};
  }
  // After NewLeader() and MastersChanged(): the client left the old leader,
  // saying why, and subscribed to the new one.
  void ExpectFollowed(MasterClient& client, Reports& reports) {
    ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 2; }));
    EXPECT_EQ(client.leader(), new_leader->url());
    std::lock_guard<std::mutex> lock(reports.mutex);
    ASSERT_EQ(reports.disconnects.size(), 1u);
    const std::string left = old_leader->url() + " no longer leads (now " + new_leader->url() + ")";
    EXPECT_EQ(reports.disconnects[0].rfind(left, 0), 0u) << reports.disconnects[0];
  }

  std::mutex mutex;
  std::vector<std::shared_ptr<ResponseStream>> streams;
  std::vector<std::string> masters;
  std::unique_ptr<FakeMaster> old_leader, new_leader;
};

// A detector names another leader while the old one still streams: the
// client leaves it at once and subscribes to the new one.
TEST(MasterClient, LeavesAMasterThatNoLongerLeads) {
  LeaderChange change;
  CurlHttpClient http;
  Reports reports;
  MasterClient client(http, change.Options(), reports.Callbacks());
  client.Start([] { return SubscribeCall("fw-1"); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  EXPECT_EQ(client.leader(), change.old_leader->url());

  client.MastersChanged();  // same list: nothing to leave
  change.NewLeader();
  client.MastersChanged();
  change.ExpectFollowed(client, reports);
  EXPECT_EQ(change.old_leader->subscribe_calls().size(), 1u);
  client.Stop();
}

// The libcurl client, except that its first OpenStream() returns only after
// Release(), its stream running meanwhile: the moment in which events have
// arrived but the MasterClient does not hold the stream yet.
class HeldFirstStream : public HttpClient {
 public:
  Result<Response> Post(const std::string& url, const HttpHeaders& headers, std::string_view body,
                        const Options& options) override {
    return curl_.Post(url, headers, body, options);
  }
  Result<Response> Get(const std::string& url, const HttpHeaders& headers,
                       const Options& options) override {
    return curl_.Get(url, headers, options);
  }
  Result<Response> Download(const std::string& url, const HttpHeaders& headers,
                            const Options& options,
                            const std::function<bool(std::string_view)>& sink) override {
    return curl_.Download(url, headers, options, sink);
  }
  std::unique_ptr<Stream> OpenStream(const std::string& url, const HttpHeaders& headers,
                                     std::string body, const Options& options,
                                     StreamCallbacks callbacks) override {
    auto stream = curl_.OpenStream(url, headers, std::move(body), options, std::move(callbacks));
    std::unique_lock<std::mutex> lock(mutex_);
    if (!opened_) released_.wait(lock, [this] { return release_; });
    opened_ = true;
    return stream;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_ = true;
    released_.notify_all();
  }

 private:
  CurlHttpClient curl_;
  std::mutex mutex_;
  std::condition_variable released_;
  bool release_ = false;
  bool opened_ = false;
};

// The leader changes before the client holds its stream (it once went on
// waiting on the old leader's stream for ever): it still leaves.
TEST(MasterClient, LeavesAMasterThatNoLongerLeadsBeforeItHoldsTheStream) {
  LeaderChange change;
  HeldFirstStream http;
  Reports reports;
  MasterClient client(http, change.Options(), reports.Callbacks());
  client.Start([] { return SubscribeCall("fw-1"); });
  ASSERT_TRUE(reports.Await([&] { return reports.Subscribed() == 1; }));
  change.NewLeader();
  client.MastersChanged();
  http.Release();
  change.ExpectFollowed(client, reports);
  client.Stop();
}

TEST(BackoffDelay, DoublesFromTheMinimumUpToTheCapWithJitter) {
  using std::chrono::milliseconds;
  const milliseconds min{500}, max{15000};
  // Without jitter's upper half: half of the base.
  EXPECT_EQ(BackoffDelay(1, min, max, 0.0), milliseconds(250));
  EXPECT_EQ(BackoffDelay(2, min, max, 0.0), milliseconds(500));
  EXPECT_EQ(BackoffDelay(3, min, max, 0.0), milliseconds(1000));
  // The whole base at the top of the jitter's range.
  EXPECT_EQ(BackoffDelay(1, min, max, 1.0), milliseconds(500));
  EXPECT_EQ(BackoffDelay(6, min, max, 1.0), milliseconds(15000));  // 16 s capped
  EXPECT_EQ(BackoffDelay(7, min, max, 0.5), milliseconds(11250));
  // Never beyond the cap, however many failures.
  for (int failures : {6, 10, 64, 1000, 1 << 30}) {
    EXPECT_LE(BackoffDelay(failures, min, max, 0.999999), max) << failures;
    EXPECT_GE(BackoffDelay(failures, min, max, 0.0), max / 2) << failures;
  }
  // A subscription that worked (0 failures) waits like the first failure.
  EXPECT_EQ(BackoffDelay(0, min, max, 0.0), milliseconds(250));
}

TEST(MasterClient, RetriesAreSpreadByJitter) {
  const ClosedPort closed;
  const std::string down = closed.url();
  CurlHttpClient http;
  Reports reports;
  MasterClient::Options options = OptionsFor({down});
  options.backoff_min = 100ms;
  options.backoff_max = 400ms;
  std::atomic<int> asked{0};
  options.jitter = [&] {
    ++asked;
    return 0.999;
  };
  MasterClient client(http, options, reports.Callbacks());
  client.Start([] { return SubscribeCall(); });
  ASSERT_TRUE(reports.Await([&] { return reports.disconnects.size() >= 4; }));
  client.Stop();
  auto retry = [&](int i) {
    const std::string& text = reports.disconnects[i];
    return text.substr(text.rfind("; retrying in ") + 14);
  };
  EXPECT_EQ(retry(0), "0.1s");
  EXPECT_EQ(retry(1), "0.2s");
  EXPECT_EQ(retry(2), "0.4s");
  EXPECT_EQ(retry(3), "0.4s");  // capped
  EXPECT_GE(asked.load(), 4);
}

}  // namespace
}  // namespace mlaunch

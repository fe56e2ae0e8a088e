// The whole run path -- driver, scheduler core, master client, libcurl --
// against a scripted master served on loopback. The master answers calls the
// way Mesos would for this one scenario; the test waits on events, not time.
#include "launcher/driver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/curl_http_client.h"
#include "common/http_server.h"
#include "common/recordio.h"
#include "launcher/compile.h"
#include "launcher/spec/load.h"
#include "testing/offer_builder.h"
#include "tests/fakes/closed_port.h"
#include "tests/fakes/fake_master.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;
namespace sched = mesos::v1::scheduler;
using mlaunch::testing::FakeMaster;
using mlaunch::testing::TempDir;
using namespace std::chrono_literals;

v1::Offer AnOffer() {
  return OfferBuilder("o1", "a1", "127.0.0.2")
      .Scalar("cpus", 2)
      .Scalar("mem", 1024)
      .Ports(31000, 31010)
      .Build();
}

// A master that runs one task the way Mesos would for these scenarios: an
// offer with SUBSCRIBED (or on REVIVE), TASK_RUNNING after the ACCEPT,
// TASK_KILLED after a KILL; the stream ends at TEARDOWN. Built on the
// FakeMaster (tests/fakes/fake_master.h). Set the fields before the run.
class ScriptedMaster {
 public:
  std::string url() const { return master_.url(); }

  std::function<void()> on_running_acknowledged;
  // Called with every call as it arrives, before it is answered.
  std::function<void(const sched::Call&)> on_call;
  // When set, SUBSCRIBE is answered with an ERROR event saying this, and
  // the stream ends (as a master that removed the framework does).
  std::string subscribe_error;
  std::vector<sched::Call::Type> calls;
  std::vector<sched::Call> subscribes;
  // The first busy[type] calls of a type are answered 503 and ignored.
  std::map<sched::Call::Type, int> busy;
  // Offers go out on REVIVE only, not with SUBSCRIBED.
  bool offers_on_revive_only = false;

 private:
  void Send(const sched::Event& e) { stream_->Write(RecordIOEncode(e.SerializeAsString())); }

  v1::TaskStatus Status(const std::string& task_id, v1::TaskState state) {
    v1::TaskStatus s;
    s.mutable_task_id()->set_value(task_id);
    s.set_state(state);
    s.mutable_agent_id()->set_value("a1");
    s.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    s.set_uuid(std::string(15, 'U') + static_cast<char>('0' + state));
    return s;
  }

  void SendOffer() {
    sched::Event offers;
    offers.set_type(sched::Event::OFFERS);
    *offers.mutable_offers()->add_offers() = AnOffer();
    Send(offers);
  }

  void Update(const std::string& task_id, v1::TaskState state) {
    sched::Event e;
    e.set_type(sched::Event::UPDATE);
    *e.mutable_update()->mutable_status() = Status(task_id, state);
    Send(e);
  }

  HttpServer::Response Subscribe(const sched::Call& call) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls.push_back(call.type());
    if (on_call) on_call(call);
    subscribes.push_back(call);
    HttpServer::Response response = FakeMaster::Stream(&stream_, "s1");
    if (!subscribe_error.empty()) {
      sched::Event error;
      error.set_type(sched::Event::ERROR);
      error.mutable_error()->set_message(subscribe_error);
      Send(error);
      stream_->Close();
      return response;
    }
    sched::Event subscribed;
    subscribed.set_type(sched::Event::SUBSCRIBED);
    subscribed.mutable_subscribed()->mutable_framework_id()->set_value("fw-1");
    subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(15);
    Send(subscribed);
    if (!offers_on_revive_only) SendOffer();
    return response;
  }

  HttpServer::Response Answer(const sched::Call& call, const std::string& stream_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls.push_back(call.type());
    if (on_call) on_call(call);
    if (stream_id != "s1") return HttpServer::Response::Text(400, "The stream ID is not valid");
    if (busy[call.type()] > 0) {
      --busy[call.type()];
      return HttpServer::Response::Text(503, "busy for now");
    }
    switch (call.type()) {
      case sched::Call::REVIVE:
        if (offers_on_revive_only) SendOffer();
        break;
      case sched::Call::ACCEPT:
        task_id_ = call.accept().operations(0).launch().task_infos(0).task_id().value();
        Update(task_id_, v1::TASK_RUNNING);
        break;
      case sched::Call::ACKNOWLEDGE:
        if (call.acknowledge().uuid().back() == '0' + v1::TASK_RUNNING && on_running_acknowledged) {
          on_running_acknowledged();
        }
        break;
      case sched::Call::KILL:
        Update(call.kill().task_id().value(), v1::TASK_KILLED);
        break;
      case sched::Call::TEARDOWN:
        stream_->Close();
        break;
      default:
        break;
    }
    return HttpServer::Response::Empty(202);
  }

  std::mutex mutex_;
  std::shared_ptr<ResponseStream> stream_;
  std::string task_id_;
  // Last: its server stops before the members its scripts use go.
  FakeMaster master_{[this](const sched::Call& call, int) { return Subscribe(call); },
                     [this](const sched::Call& call, const std::string& stream_id) {
                       return Answer(call, stream_id);
                     }};
};

TEST(Driver, RunsAServiceUntilStoppedThenTearsDown) {
  spec::LoadResult spec = spec::Load(R"(version: 1
framework: {failover_timeout: 0s}
tasks:
  - name: web
    resources: {cpus: 0.5, mem: 128}
    ports: [http]
    service: {payload: Hello from Server}
)",
                                     "web.yaml");
  ASSERT_TRUE(spec.diagnostics.ok());
  Plan plan = Compile(spec.spec, {}, {"u"});
  ScriptedMaster master;
  CurlHttpClient http;
  CoreOptions core;
  int n = 0;
  core.new_uuid = [&n] { return "id" + std::to_string(++n); };
  MasterClient::Options client;
  std::string url = master.url();
  client.masters = [url] { return std::vector<std::string>{url}; };
  DriverOptions options;
  options.connect_timeout = 20s;
  options.tick = 50ms;
  std::ostringstream out;
  Driver driver(plan, core, http, client, options, out);
  master.on_running_acknowledged = [&driver] { driver.RequestStop(); };

  EXPECT_EQ(driver.Run(), 0);
  std::string text = out.str();
  EXPECT_NE(text.find("subscribed framework=fw-1"), std::string::npos) << text;
  EXPECT_NE(text.find("web.0        LAUNCHED on 127.0.0.2 http=31000"), std::string::npos) << text;
  EXPECT_NE(text.find("web.0        serving http://127.0.0.2:31000/"), std::string::npos) << text;
  EXPECT_NE(text.find("web.0        KILLED"), std::string::npos) << text;
  std::vector<sched::Call::Type> expected = {sched::Call::SUBSCRIBE, sched::Call::ACCEPT,
                                             sched::Call::SUPPRESS,  sched::Call::ACKNOWLEDGE,
                                             sched::Call::KILL,      sched::Call::ACKNOWLEDGE,
                                             sched::Call::TEARDOWN};
  EXPECT_EQ(master.calls, expected);
}

constexpr const char* kFailoverWeb = R"(version: 1
framework: {name: web, failover_timeout: 1h}
tasks:
  - name: web
    resources: {cpus: 0.5, mem: 128}
    ports: [http]
    service: {payload: Hello from Server}
)";

// kFailoverWeb run by a Driver against a ScriptedMaster, its failover state
// kept in a temporary directory.
struct FailoverRun {
  FailoverRun()
      : spec(spec::Load(kFailoverWeb, "web.yaml")),
        plan(Compile(spec.spec, {}, {"u"})),
        store(dir.path(), plan.framework.name()) {}

  // Tick 50 ms, connect timeout 20 s, the state kept; task ids end in "id1".
  std::unique_ptr<Driver> MakeDriver(DriverOptions options = {}) {
    CoreOptions core;
    core.new_uuid = [] { return "id1"; };
    MasterClient::Options client;
    std::string url = master.url();
    client.masters = [url] { return std::vector<std::string>{url}; };
    options.connect_timeout = 20s;
    options.tick = 50ms;
    options.state = &store;
    return std::make_unique<Driver>(plan, core, http, client, options, out);
  }

  spec::LoadResult spec;
  Plan plan;
  TempDir dir;
  StateStore store;
  ScriptedMaster master;
  CurlHttpClient http;
  std::ostringstream out;
};

// The task ids of an ACCEPT must be on disk before the ACCEPT leaves: a
// crash in between would otherwise make the next run launch a duplicate.
TEST(Driver, SavesTheNewTaskBeforeItsAcceptIsSent) {
  FailoverRun run;
  ASSERT_TRUE(run.spec.diagnostics.ok());
  ASSERT_FALSE(run.dir.path().empty());
  std::optional<SavedState> at_accept;
  std::string accepted;
  run.master.on_call = [&](const sched::Call& call) {
    if (call.type() != sched::Call::ACCEPT) return;
    accepted = call.accept().operations(0).launch().task_infos(0).task_id().value();
    Result<std::optional<SavedState>> loaded = run.store.Load();
    if (loaded.ok() && loaded.value()) at_accept = *loaded.value();
  };
  std::unique_ptr<Driver> driver = run.MakeDriver();
  run.master.on_running_acknowledged = [&driver] { driver->RequestStop(); };

  EXPECT_EQ(driver->Run(), 0) << run.out.str();
  EXPECT_EQ(accepted, "web.0.id1");
  ASSERT_TRUE(at_accept.has_value()) << "no state file when the ACCEPT arrived";
  EXPECT_EQ(at_accept->framework_id, "fw-1");
  ASSERT_EQ(at_accept->tasks.size(), 1u);
  EXPECT_EQ(at_accept->tasks[0].task_id, "web.0.id1");
  EXPECT_EQ(at_accept->tasks[0].hostname, "127.0.0.2");
  EXPECT_EQ(at_accept->tasks[0].ports, (std::map<std::string, uint32_t>{{"http", 31000}}));
  // Torn down: nothing to fail over to.
  EXPECT_FALSE(std::filesystem::exists(run.store.path()));
}

// Changes other than launches wait up to save_every and go together: a
// change of health reaches the file with no launch to carry it.
TEST(Driver, SavesAChangeOfHealthWithinSaveEvery) {
  FailoverRun run;
  ASSERT_TRUE(run.spec.diagnostics.ok());
  ASSERT_FALSE(run.dir.path().empty());
  DriverOptions options;
  options.save_every = 100ms;
  std::unique_ptr<Driver> driver = run.MakeDriver(options);
  int code = -1;
  std::thread thread([&] { code = driver->Run(); });

  bool healthy_on_disk = false;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!healthy_on_disk && std::chrono::steady_clock::now() < deadline) {
    Result<std::optional<SavedState>> loaded = run.store.Load();
    healthy_on_disk = loaded.ok() && loaded.value() && loaded.value()->tasks.size() == 1 &&
                      loaded.value()->tasks[0].healthy;
    if (!healthy_on_disk) std::this_thread::sleep_for(10ms);  // polls the file
  }
  driver->RequestStop();
  thread.join();
  EXPECT_TRUE(healthy_on_disk) << "the RUNNING task never showed as healthy in the state file";
  EXPECT_EQ(code, 0) << run.out.str();
}

TEST(Driver, AFrameworkTheMasterRemovedClearsTheSavedIdAndSaysSo) {
  spec::LoadResult spec = spec::Load(kFailoverWeb, "web.yaml");
  ASSERT_TRUE(spec.diagnostics.ok());
  Plan plan = Compile(spec.spec, {}, {"u"});
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  StateStore store(dir.path(), plan.framework.name());
  KnownTask old;
  old.task_id = "web.0.old";
  old.agent_id = "a1";
  ASSERT_TRUE(store.Save({"fw-old", {old}}).ok());
  ScriptedMaster master;
  master.subscribe_error = "Framework has been removed";
  CurlHttpClient http;
  CoreOptions core;
  core.new_uuid = [] { return "x"; };
  MasterClient::Options client;
  std::string url = master.url();
  client.masters = [url] { return std::vector<std::string>{url}; };
  DriverOptions options;
  options.connect_timeout = 20s;
  options.tick = 50ms;
  options.state = &store;
  std::ostringstream out;
  Driver driver(plan, core, http, client, options, out);

  EXPECT_EQ(driver.Run(), 2);
  ASSERT_EQ(master.subscribes.size(), 1u);
  EXPECT_EQ(master.subscribes[0].framework_id().value(), "fw-old") << "it tried to fail over";
  std::string text = out.str();
  EXPECT_NE(text.find("failing over to framework fw-old (1 known task)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("error: the master says: Framework has been removed"), std::string::npos)
      << text;
  EXPECT_NE(text.find("the master had removed framework fw-old"), std::string::npos) << text;
  EXPECT_NE(text.find("the next run starts a new framework"), std::string::npos) << text;
  Result<std::optional<SavedState>> loaded = store.Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded.value().has_value()) << "the saved id is still there";
}

TEST(Driver, ExitsTwoWhenNoMasterAnswers) {
  spec::LoadResult spec = spec::Load("version: 1\ntasks: [{name: a, command: x}]\n", "a.yaml");
  Plan plan = Compile(spec.spec, {}, {"u"});
  const ClosedPort closed;
  const std::string url = closed.url();
  CurlHttpClient http;
  CoreOptions core;
  core.new_uuid = [] { return "x"; };
  MasterClient::Options client;
  client.masters = [url] { return std::vector<std::string>{url}; };
  client.backoff_min = 10ms;
  client.backoff_max = 20ms;
  DriverOptions options;
  options.connect_timeout = 300ms;
  options.tick = 20ms;
  std::ostringstream out;
  Driver driver(plan, core, http, client, options, out);
  EXPECT_EQ(driver.Run(), 2);
  EXPECT_NE(out.str().find("error: no master answered within 0s; last: "), std::string::npos)
      << out.str();
}

// Issue #17, item 3: a master that answers 503 to the first calls of a
// kind (it recovers, or sheds load) must not leave an instance waiting for
// offers: the REVIVE is sent again, as are the ACCEPT and the SUPPRESS.
TEST(Driver, CallsAnswered503AreSentAgainUntilTheyGoThrough) {
  spec::LoadResult spec = spec::Load(kFailoverWeb, "web.yaml");
  ASSERT_TRUE(spec.diagnostics.ok());
  Plan plan = Compile(spec.spec, {}, {"u"});
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  StateStore store(dir.path(), plan.framework.name());
  // A failover with nothing running: the instance waits, and the core asks
  // for offers with REVIVE.
  ASSERT_TRUE(store.Save({"fw-1", {}}).ok());
  ScriptedMaster master;
  master.offers_on_revive_only = true;
  master.busy = {{sched::Call::REVIVE, 3}, {sched::Call::ACCEPT, 2}, {sched::Call::SUPPRESS, 1}};
  CurlHttpClient http;
  CoreOptions core;
  core.new_uuid = [] { return "id1"; };
  MasterClient::Options client;
  std::string url = master.url();
  client.masters = [url] { return std::vector<std::string>{url}; };
  DriverOptions options;
  options.connect_timeout = 20s;
  options.tick = 50ms;
  options.state = &store;
  options.duration = 30s;  // without retries it would wait for offers forever
  std::ostringstream out;
  Driver driver(plan, core, http, client, options, out);
  master.on_running_acknowledged = [&driver] { driver.RequestStop(); };

  EXPECT_EQ(driver.Run(), 0) << out.str();
  const std::string text = out.str();
  EXPECT_NE(text.find("warning: the master answered 503 to REVIVE: busy for now; sending it "
                      "again in 100ms"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("REVIVE went through at attempt 4"), std::string::npos) << text;
  EXPECT_NE(text.find("ACCEPT went through at attempt 3"), std::string::npos) << text;
  EXPECT_NE(text.find("SUPPRESS went through at attempt 2"), std::string::npos) << text;
  EXPECT_NE(text.find("web.0        KILLED"), std::string::npos) << text;
  EXPECT_EQ(std::count(master.calls.begin(), master.calls.end(), sched::Call::REVIVE), 4);
  EXPECT_EQ(std::count(master.calls.begin(), master.calls.end(), sched::Call::ACCEPT), 3);
}

}  // namespace
}  // namespace mlaunch

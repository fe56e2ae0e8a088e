// Offer handling on the wire: the embedded master (cluster::Master, real
// HTTP, Mesos' default 1 s allocation interval) with N agents that only
// offer (no executors: each LAUNCH is answered with TASK_RUNNING by a stand-in
// agent), and mesos-launch's own run loop (Driver, MasterClient over
// libcurl) running a spec of M instances with `hostname UNIQUE`.
//
// A wrapper around the HTTP client watches the wire: it notes when the whole
// OFFERS event of N offers has arrived on the event stream (before the
// scheduler sees it), and when every call is POSTed and answered. Per run (a fresh master each
// run):
//   event:  from the last byte of the OFFERS event to its first call
//           leaving (decode + scheduling + encoding: the scheduler's turn)
//           and to the 202 of the last call it caused (+ every POST's round
//           trip to the master, one call after another), and those calls by
//           type;
//   idle:   the calls sent during IDLE seconds once every instance runs
//           (target 0: the framework has suppressed offers).
//
// Usage: cluster_offers_bench [AGENTS=10000] [INSTANCES=100] [RUNS=3] [IDLE=60]
#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/agent_spec.h"
#include "cluster/master_http.h"
#include "common/curl_http_client.h"
#include "common/recordio.h"
#include "launcher/compile.h"
#include "launcher/driver.h"
#include "launcher/spec/load.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace {

namespace v1 = mesos::v1;
using Call = v1::scheduler::Call;
using Event = v1::scheduler::Event;
using Clock = std::chrono::steady_clock;

double UnixMillis(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Every agent: answers LAUNCH with TASK_RUNNING, from a thread of its own
// (the master calls Handle() under its lock).
class OfferOnlyAgents : public mlaunch::cluster::Agent {
 public:
  OfferOnlyAgents() : worker_([this] { Work(); }) {}
  ~OfferOnlyAgents() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }
  void Attach(mlaunch::cluster::Master* master) { master_ = master; }

  void Handle(const mlaunch::cluster::AgentRequest& request) override {
    const auto* launch = std::get_if<mlaunch::cluster::LaunchTasks>(&request);
    if (!launch) return;  // acknowledgements, kills: nothing runs here
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(*launch);
    wake_.notify_all();
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      mlaunch::cluster::LaunchTasks launch = std::move(pending_.front());
      pending_.pop_front();
      lock.unlock();
      for (const v1::TaskInfo& task : launch.tasks) {
        v1::TaskStatus status;
        *status.mutable_task_id() = task.task_id();
        status.set_state(v1::TASK_RUNNING);
        status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
        status.mutable_agent_id()->set_value(launch.agent_id);
        std::string uuid(16, '\0');
        const unsigned n = ++uuids_;
        std::memcpy(uuid.data(), &n, sizeof n);
        status.set_uuid(uuid);
        master_->StatusUpdate(launch.agent_id, launch.framework.id().value(), status);
      }
      lock.lock();
    }
  }

  mlaunch::cluster::Master* master_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<mlaunch::cluster::LaunchTasks> pending_;
  bool stopping_ = false;
  unsigned uuids_ = 0;
  std::thread worker_;
};

// What went over the wire, stamped.
struct Wire {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<Clock::time_point> big_offers_at;               // the first OFFERS of >= N offers
  std::vector<std::pair<Clock::time_point, Call::Type>> calls;  // when answered
  std::vector<Clock::time_point> posts;                         // when each POST began
  int running = 0;
};

// The curl client, watched: events decoded off the stream, calls noted
// once answered.
class WatchingClient : public mlaunch::HttpClient {
 public:
  WatchingClient(Wire& wire, int agents) : wire_(wire), agents_(agents) {}

  mlaunch::Result<Response> Post(const std::string& url, const mlaunch::HttpHeaders& headers,
                                 std::string_view body, const Options& options) override {
    {
      std::lock_guard<std::mutex> lock(wire_.mutex);
      wire_.posts.push_back(Clock::now());
    }
    auto response = curl_.Post(url, headers, body, options);
    if (std::getenv("BENCH_TRACE") && (!response.ok() || response.value().status != 202)) {
      std::fprintf(
          stderr, "POST %s: %s\n", url.c_str(),
          response.ok()
              ? (std::to_string(response.value().status) + " " + response.value().body).c_str()
              : response.message().c_str());
    }
    Call call;
    if (response.ok() && call.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      std::lock_guard<std::mutex> lock(wire_.mutex);
      wire_.calls.emplace_back(Clock::now(), call.type());
      wire_.changed.notify_all();
    }
    return response;
  }
  mlaunch::Result<Response> Get(const std::string& url, const mlaunch::HttpHeaders& headers,
                                const Options& options) override {
    return curl_.Get(url, headers, options);
  }
  mlaunch::Result<Response> Download(const std::string& url, const mlaunch::HttpHeaders& headers,
                                     const Options& options,
                                     const std::function<bool(std::string_view)>& sink) override {
    return curl_.Download(url, headers, options, sink);
  }
  std::unique_ptr<Stream> OpenStream(const std::string& url, const mlaunch::HttpHeaders& headers,
                                     std::string body, const Options& options,
                                     StreamCallbacks callbacks) override {
    auto decoder = std::make_shared<mlaunch::RecordIODecoder>(64 * 1024 * 1024);
    auto on_bytes = callbacks.on_bytes;
    callbacks.on_bytes = [this, decoder, on_bytes](std::string_view bytes) {
      std::vector<std::string> records;
      (void)decoder->Feed(bytes, &records);
      for (const std::string& record : records) Watch(record);
      return on_bytes(bytes);
    };
    return curl_.OpenStream(url, headers, std::move(body), options, std::move(callbacks));
  }

 private:
  // Cheap, so as not to delay the scheduler behind it: a big record is
  // typed by its first field (protobuf writes fields in number order, and
  // Event.type is field 1); only small ones are parsed whole.
  void Watch(const std::string& record) {
    std::lock_guard<std::mutex> lock(wire_.mutex);
    if (record.size() > static_cast<size_t>(agents_) * 100) {
      google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(record.data()),
                                                static_cast<int>(record.size()));
      uint32_t type = 0;
      if (in.ReadTag() == (1u << 3) && in.ReadVarint32(&type) && type == Event::OFFERS &&
          !wire_.big_offers_at) {
        wire_.big_offers_at = Clock::now();
        if (std::getenv("BENCH_TRACE")) {  // what parsing it costs, once
          Event event;
          const auto start = Clock::now();
          event.ParseFromString(record);
          std::fprintf(stderr, "OFFERS event: %zu bytes, %d offers, parsed in %.1f ms\n",
                       record.size(), event.offers().offers_size(),
                       UnixMillis(Clock::now() - start));
          wire_.big_offers_at = Clock::now();
        }
      }
    } else {
      Event event;
      if (event.ParseFromString(record) && event.type() == Event::UPDATE &&
          event.update().status().state() == v1::TASK_RUNNING) {
        ++wire_.running;
      }
    }
    wire_.changed.notify_all();
  }

  Wire& wire_;
  int agents_;
  mlaunch::CurlHttpClient curl_;
};

struct RunResult {
  double first_call_ms = -1;  // the event's last byte -> its first call leaving
  double event_ms = -1;
  std::map<std::string, int> event_calls;
  int idle_calls = -1;
  std::map<std::string, int> idle_by_type;
};

std::string Describe(const std::map<std::string, int>& by_type) {
  std::string s;
  for (const auto& [type, n] : by_type)
    s += (s.empty() ? "" : ", ") + std::to_string(n) + " " + type;
  return s.empty() ? "none" : s;
}

RunResult RunOnce(const mlaunch::Plan& plan, int agents, int instances, int idle_seconds) {
  RunResult result;
  mlaunch::cluster::Master::Options options;  // allocation every 1 s, as Mesos
  auto started = mlaunch::cluster::Master::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "master: %s\n", started.message().c_str());
    std::exit(1);
  }
  std::unique_ptr<mlaunch::cluster::Master> master = std::move(started).value();
  OfferOnlyAgents stand_in;
  stand_in.Attach(master.get());
  auto resources =
      mlaunch::cluster::ParseResources("cpus:4;mem:8192;disk:10000;ports:[31000-32000]");
  for (int a = 0; a < agents; ++a) {
    v1::AgentInfo info;
    info.set_hostname("host-" + std::to_string(a));
    info.set_port(5051);
    for (const v1::Resource& r : resources.value()) *info.add_resources() = r;
    auto attributes = mlaunch::cluster::ParseAttributes("rack:rack-" + std::to_string(a % 40));
    for (const v1::Attribute& at : attributes.value()) *info.add_attributes() = at;
    master->AddAgent(info, "127.0.0.1", &stand_in);
  }

  Wire wire;
  WatchingClient http(wire, agents);
  mlaunch::MasterClient::Options client;
  const std::string url = master->url();
  client.masters = [url] { return std::vector<std::string>{url}; };
  mlaunch::CoreOptions core;
  std::atomic<unsigned> uuids{0};
  core.new_uuid = [&uuids] {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012u", ++uuids);
    return std::string(id);
  };
  mlaunch::DriverOptions driver_options;
  std::ostringstream screen;
  mlaunch::Driver driver(plan, core, http, client, driver_options, screen);
  std::thread run([&] { driver.Run(); });

  std::unique_lock<std::mutex> lock(wire.mutex);
  const bool placed = wire.changed.wait_for(lock, std::chrono::seconds(120),
                                            [&] { return wire.running >= instances; });
  if (placed && wire.big_offers_at) {
    // Let the event's last calls, the acknowledgements and the suppression
    // go out, then count.
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    lock.lock();
    // The event's calls: the ACCEPTs and DECLINEs answered after it (the
    // acknowledgements of the updates it caused may come in between).
    Clock::time_point last = *wire.big_offers_at;
    if (std::getenv("BENCH_TRACE")) {
      for (const auto& [at, type] : wire.calls) {
        std::fprintf(stderr, "%+.1f ms %s\n", UnixMillis(at - *wire.big_offers_at),
                     Call::Type_Name(type).c_str());
      }
    }
    for (const auto& [at, type] : wire.calls) {
      if (at < *wire.big_offers_at || (type != Call::ACCEPT && type != Call::DECLINE)) continue;
      result.event_calls[Call::Type_Name(type)]++;
      last = at;
    }
    result.event_ms = UnixMillis(last - *wire.big_offers_at);
    for (const Clock::time_point& at : wire.posts) {
      if (at >= *wire.big_offers_at) {
        result.first_call_ms = UnixMillis(at - *wire.big_offers_at);
        break;
      }
    }
    const size_t before = wire.calls.size();
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    lock.lock();
    result.idle_calls = static_cast<int>(wire.calls.size() - before);
    for (size_t i = before; i < wire.calls.size(); ++i) {
      result.idle_by_type[Call::Type_Name(wire.calls[i].second)]++;
    }
  } else {
    std::fprintf(stderr, "only %d of %d instances running after 120 s\n", wire.running, instances);
  }
  lock.unlock();
  driver.RequestStop();
  driver.RequestStop();  // tear down at once: nothing runs to wait for
  run.join();
  master->Stop();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  const int agents = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int instances = argc > 2 ? std::atoi(argv[2]) : 100;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  const int idle = argc > 4 ? std::atoi(argv[4]) : 60;
  const std::string yaml =
      "version: 1\ntasks:\n  - name: web\n    instances: " + std::to_string(instances) +
      "\n    resources: {cpus: 0.5, mem: 128}\n"
      "    constraints: [[hostname, UNIQUE]]\n"
      "    command: \"sleep 1000\"\n";
  mlaunch::spec::LoadResult loaded = mlaunch::spec::Load(yaml, "bench.yaml");
  if (!loaded.diagnostics.ok()) {
    std::fprintf(stderr, "%s", mlaunch::Render(loaded.diagnostics.Sorted()[0], yaml).c_str());
    return 1;
  }
  mlaunch::Plan plan = mlaunch::Compile(loaded.spec, {}, {"bench"});

  std::vector<double> first_ms, event_ms;
  std::printf("embedded master, %d offer-only agents, %d instances (hostname UNIQUE), %d runs\n",
              agents, instances, runs);
  for (int r = 0; r < runs; ++r) {
    RunResult result = RunOnce(plan, agents, instances, idle);
    if (result.event_ms < 0) return 1;
    first_ms.push_back(result.first_call_ms);
    event_ms.push_back(result.event_ms);
    std::printf(
        "run %d: OFFERS event received -> first call sent %.1f ms, -> last of its calls "
        "answered %.1f ms (%s); calls in %d s idle: %d (%s)\n",
        r + 1, result.first_call_ms, result.event_ms, Describe(result.event_calls).c_str(), idle,
        result.idle_calls, Describe(result.idle_by_type).c_str());
    std::fflush(stdout);
  }
  std::sort(first_ms.begin(), first_ms.end());
  std::sort(event_ms.begin(), event_ms.end());
  std::printf("median: first call %.1f ms, all calls answered %.1f ms\n",
              first_ms[first_ms.size() / 2], event_ms[event_ms.size() / 2]);
  return 0;
}

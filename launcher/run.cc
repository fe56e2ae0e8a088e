#include "launcher/run.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <boost/uuid/uuid_generators.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <mutex>
#include <thread>

#include "common/curl_http_client.h"
#include "launcher/driver.h"
#include "launcher/inputs.h"
#include "launcher/master_address.h"
#include "launcher/secrets.h"
#include "launcher/state_store.h"
#include "launcher/zk_detector.h"

namespace mlaunch {
namespace {

// Turns SIGINT and SIGTERM into calls of `on_signal` on a thread of its own,
// for as long as it lives. Must be created before any other thread, so that
// no thread of the run receives them itself.
class SignalThread {
 public:
  explicit SignalThread(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] {
      timespec wait{0, 100 * 1000 * 1000};
      while (!done_) {
        int signal = sigtimedwait(&set_, nullptr, &wait);
        if (signal > 0) on_signal_(signal);
      }
    });
  }
  ~SignalThread() {
    done_ = true;
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  std::function<void(int)> on_signal_;
  sigset_t set_;
  sigset_t old_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int RunSpec(const spec::Spec& spec, const Plan& plan, const RunFlags& flags, const World& world,
            std::ostream& out, std::ostream& err) {
  std::string text = flags.master;
  if (text.empty()) text = world.getenv("MESOS_MASTER").value_or("");
  if (text.empty()) text = spec.master;
  if (text.empty()) {
    err << "mesos-launch: no master given: pass --master HOST:PORT (or set MESOS_MASTER, or "
           "`master:` in the spec); the embedded cluster that runs specs without one is not "
           "built yet\n";
    return 2;
  }
  Result<MasterAddress> address = ParseMasterAddress(text, [&world](const std::string& path) -> Result<std::string> {
    std::string bytes;
    if (!world.read_file(path, bytes)) {
      return Status::Error(StatusCode::kUnavailable, "cannot read " + path + ": " + bytes);
    }
    return bytes;
  });
  if (!address.ok()) {
    err << "mesos-launch: --master: " << address.status().message() << "\n";
    return 64;
  }

  Diagnostics problems(spec.file);
  RunSecrets secrets = ReadSecrets(spec, world, flags.secret_file, problems);
  if (!problems.ok()) {
    for (const Diagnostic& d : problems.Sorted()) err << Render(d, spec.source);
    return 1;
  }

  // Signals first: every thread started after this inherits the mask.
  std::mutex driver_mutex;
  Driver* driver = nullptr;
  SignalThread signals([&](int) {
    std::lock_guard<std::mutex> lock(driver_mutex);
    if (driver) driver->RequestStop();
  });

  std::optional<StateStore> store;
  if (plan.framework.failover_timeout() > 0) {
    std::string dir = !flags.state_dir.empty()
                          ? flags.state_dir
                          : StateStore::DefaultDir(world.getenv("XDG_STATE_HOME"),
                                                   world.getenv("HOME"));
    store.emplace(dir, plan.framework.name());
  }

  // Where the masters are: a fixed list, or whoever ZooKeeper says leads.
  std::mutex masters_mutex;
  std::vector<std::string> masters;
  std::unique_ptr<ZkDetector> detector;
  if (auto* list = std::get_if<std::vector<MasterEndpoint>>(&address.value().target)) {
    for (const MasterEndpoint& m : *list) masters.push_back(m.Url());
  } else {
    const ZooKeeperTarget& zk = std::get<ZooKeeperTarget>(address.value().target);
    Result<std::unique_ptr<ZkDetector>> started = ZkDetector::Start(
        zk, [&](const Detection& d) {
          std::lock_guard<std::mutex> lock(masters_mutex);
          masters.clear();
          if (d.leader) masters.push_back("http://" + d.leader->address.ToString());
        });
    if (!started.ok()) {
      err << "mesos-launch: " << started.status().message() << "\n";
      return 2;
    }
    detector = std::move(started.value());
  }

  MasterClient::Options client;
  client.masters = [&] {
    std::lock_guard<std::mutex> lock(masters_mutex);
    return masters;
  };
  // --ca-file wins over the spec's tls.ca_file; either may ask for --insecure.
  client.http.ca_file =
      !flags.ca_file.empty() ? flags.ca_file : ResolveSpecPath(spec, spec.tls.ca_file);
  client.http.insecure = flags.insecure || spec.tls.insecure;
  if (plan.framework.has_principal() && secrets.principal) {
    client.http.username = plan.framework.principal();
    client.http.password = *secrets.principal;
  }

  boost::uuids::random_generator uuids;
  CoreOptions core;
  core.new_uuid = [&uuids] { return boost::uuids::to_string(uuids()); };
  core.secrets = secrets.env;

  DriverOptions options;
  options.duration = flags.duration;
  options.connect_timeout = flags.connect_timeout;
  options.json = flags.json;
  options.state = store ? &*store : nullptr;

  out << "mesos-launch: " << spec.file << " on " << Describe(address.value()) << "\n";
  CurlHttpClient http;
  Driver run(plan, core, http, client, options, out);
  {
    std::lock_guard<std::mutex> lock(driver_mutex);
    driver = &run;
  }
  int code = run.Run();
  {
    std::lock_guard<std::mutex> lock(driver_mutex);
    driver = nullptr;
  }
  return code;
}

}  // namespace mlaunch

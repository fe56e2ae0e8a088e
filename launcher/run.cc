#include "launcher/run.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "common/curl_http_client.h"
#include "common/random_ids.h"
#include "detect/master_address.h"
#include "detect/zk_detector.h"
#include "launcher/driver.h"
#include "launcher/embedded_cluster.h"
#include "launcher/executor_server.h"
#include "launcher/exit_code.h"
#include "launcher/inputs.h"
#include "launcher/secrets.h"
#include "launcher/state_store.h"

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
      while (true) {
        int signal = sigwaitinfo(&set_, nullptr);
        if (done_) return;  // woken by the destructor
        if (signal > 0) on_signal_(signal);
      }
    });
  }
  ~SignalThread() {
    done_ = true;
    // Blocked everywhere, so it goes to this thread's sigwaitinfo: it wakes
    // the thread, it cannot end it.
    pthread_kill(thread_.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
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

// Serves the executor at `file` to the agents: on the --advertise address
// (or on every interface at its port, when that address is not this
// machine's), else on this machine's address toward the first master (or
// ZooKeeper server). Each request is logged to `err`, on a server thread.
Result<std::unique_ptr<ExecutorServer>> ServeExecutor(const std::string& file,
                                                      const std::string& advertise,
                                                      const MasterAddress& master,
                                                      std::ostream& err) {
  ExecutorServer::Options options;
  options.file = file;
  auto log_mutex = std::make_shared<std::mutex>();
  options.on_fetch = [log_mutex, &err](const ExecutorServer::Fetch& fetch) {
    // One write, so the line stays whole beside the run's other output.
    const std::string line = "mesos-launch: executor: " + fetch.method + " " + fetch.target +
                             " from " + fetch.peer + ": " + std::to_string(fetch.status) + "\n";
    std::lock_guard<std::mutex> lock(*log_mutex);
    err << line << std::flush;
  };
  if (const char* tampered = std::getenv(kTamperedExecutorVariable)) {
    options.tampered_file = tampered;
  }
  if (!advertise.empty()) {
    Result<HostPort> where = ParseAdvertise(advertise);
    if (!where.ok()) return where.status();
    options.port = where->port;
    if (IsLocalAddress(where->host)) {
      options.address = where->host;
    } else {
      // Not an address of this machine (NAT, a name): listen everywhere,
      // advertise it.
      options.advertise = where->host;
      options.address = where->host.find(':') == std::string::npos ? "0.0.0.0" : "::";
    }
    return ExecutorServer::Start(options);
  }
  const HostPort toward =
      std::holds_alternative<ZooKeeperTarget>(master.target)
          ? std::get<ZooKeeperTarget>(master.target).servers.front()
          : std::get<std::vector<MasterEndpoint>>(master.target).front().address;
  Result<std::string> local = LocalAddressToward(toward.host, toward.port);
  if (!local.ok()) {
    return Status::Error(local.status().code(),
                         "cannot tell which address the agents can reach this machine at (" +
                             local.message() + "); pass --advertise ADDRESS[:PORT]");
  }
  options.address = local.value();
  return ExecutorServer::Start(options);
}

// Where the masters are, for as long as the run lasts: the embedded
// cluster's, a fixed list, or whoever ZooKeeper says leads.
class MasterSource {
 public:
  // Starts what finding them takes: the embedded cluster (no `address`) or
  // the ZooKeeper detector, which calls `changed` (on its thread) when it
  // sees a new leader. Fails, saying why, when that cannot start.
  Status Start(const std::optional<MasterAddress>& address, const std::string& launcher_dir,
               std::function<void()> changed, std::ostream& log) {
    if (!address) {
      Result<std::unique_ptr<EmbeddedCluster>> started = EmbeddedCluster::Start(launcher_dir);
      if (!started.ok()) {
        return Status::Error(started.status().code(),
                             "no master named, and the embedded cluster cannot start: " +
                                 started.status().message());
      }
      cluster_ = std::move(started).value();
      log << "mesos-launch: no master named (--master, MESOS_MASTER or `master:`); started an "
          << cluster_->Describe() << "\n";
      log << "mesos-launch: status page: " << cluster_->master_url() << "/\n";
      masters_.push_back(cluster_->master_url());
      return Status::Ok();
    }
    if (auto* list = std::get_if<std::vector<MasterEndpoint>>(&address->target)) {
      for (const MasterEndpoint& m : *list) masters_.push_back(m.Url());
      return Status::Ok();
    }
    const ZooKeeperTarget& zk = std::get<ZooKeeperTarget>(address->target);
    auto started = ZkDetector::Start(zk, [this, changed](const Detection& d) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        masters_.clear();
        if (d.leader) masters_.push_back("http://" + d.leader->address.ToString());
      }
      changed();
    });
    if (!started.ok()) return started.status();
    detector_ = std::move(started).value();
    return Status::Ok();
  }

  std::vector<std::string> List() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return masters_;
  }

  // The embedded cluster's master, or "".
  std::string EmbeddedUrl() const { return cluster_ ? cluster_->master_url() : ""; }

  // After the run, the embedded cluster stops: nothing to look at after a
  // clean run; after a failed one, the tasks' stdout and stderr are kept.
  void Finish(int code, std::ostream& log) {
    if (!cluster_) return;
    if (code == 0) {
      cluster_->RemoveWorkDir();
      return;
    }
    cluster_->Stop();
    log << "mesos-launch: the sandboxes (the tasks' stdout and stderr) are kept under "
        << cluster_->work_dir() << "\n";
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> masters_;  // guarded by mutex_
  std::unique_ptr<ZkDetector> detector_;
  std::unique_ptr<EmbeddedCluster> cluster_;
};

// How the master client reaches the masters: TLS (--ca-file wins over the
// spec's tls.ca_file; either may ask for --insecure) and the principal.
MasterClient::Options ClientOptions(const spec::Spec& spec, const RunFlags& flags, const Plan& plan,
                                    const RunSecrets& secrets, const MasterSource& masters) {
  MasterClient::Options client;
  client.masters = [&masters] { return masters.List(); };
  client.http.ca_file =
      !flags.ca_file.empty() ? flags.ca_file : ResolveSpecPath(spec, spec.tls.ca_file);
  client.http.insecure = flags.insecure || spec.tls.insecure;
  if (plan.framework.has_principal() && secrets.principal) {
    client.http.username = plan.framework.principal();
    client.http.password = *secrets.principal;
  }
  return client;
}

}  // namespace

std::string NamedMaster(const std::string& flag, const spec::Spec& spec, const World& world) {
  if (!flag.empty()) return flag;
  std::string text = world.getenv("MESOS_MASTER").value_or("");
  return text.empty() ? spec.master : text;
}

int RunSpec(const spec::Spec& spec, const Inputs& inputs, CompileOptions compile,
            const RunFlags& flags, const World& world, std::ostream& out, std::ostream& err) {
  // Lines for people; with --output json stdout carries only events.
  std::ostream& log = flags.json ? err : out;
  // No master named: the embedded cluster, started once signals are taken.
  const std::optional<MasterAddress>& address = flags.master;

  Diagnostics problems(spec.file);
  RunSecrets secrets = ReadSecrets(spec, world, flags.secret_file, problems);
  if (!problems.ok()) {
    for (const Diagnostic& d : problems.Sorted()) err << Render(d, spec.source);
    return kExitInvalidSpec;
  }

  // Signals first: every thread started after this inherits the mask.
  std::mutex driver_mutex;
  Driver* driver = nullptr;
  SignalThread signals([&](int) {
    std::lock_guard<std::mutex> lock(driver_mutex);
    if (driver) driver->RequestStop();
  });

  // After the signals: the server's threads must not take them.
  std::unique_ptr<ExecutorServer> executor_server;
  if (compile.executor.source == ExecutorDelivery::Source::kServed) {
    Result<std::unique_ptr<ExecutorServer>> served =
        ServeExecutor(compile.executor.path, flags.advertise, *address, err);
    if (!served.ok()) {
      err << "mesos-launch: " << served.status().message() << "\n";
      return kExitCannotConnect;
    }
    executor_server = std::move(served).value();
    compile.executor.uri = executor_server->url();
    compile.executor.sha256 = executor_server->sha256();
    compile.executor.bytes = executor_server->bytes();
  }
  const Plan plan = Compile(spec, inputs, compile);
  log << "mesos-launch: executor: " << plan.executor_source << "\n";

  std::optional<StateStore> store;
  // An embedded cluster ends with the run: no framework id to carry over.
  if (address && plan.framework.failover_timeout() > 0) {
    std::string dir =
        !flags.state_dir.empty()
            ? flags.state_dir
            : StateStore::DefaultDir(world.getenv("XDG_STATE_HOME"), world.getenv("HOME"));
    store.emplace(dir, plan.framework.name());
  }

  MasterSource masters;
  // A new leader is tried at once, not after the current backoff.
  Status found = masters.Start(
      address, flags.launcher_dir,
      [&] {
        std::lock_guard<std::mutex> lock(driver_mutex);
        if (driver) driver->MastersChanged();
      },
      log);
  if (!found.ok()) {
    err << "mesos-launch: " << found.message() << "\n";
    return kExitCannotConnect;
  }

  CoreOptions core;
  core.new_uuid = NewUuid;
  core.secrets = secrets.env;
  DriverOptions options;
  options.duration = flags.duration;
  options.connect_timeout = flags.connect_timeout;
  options.json = flags.json;
  options.state = store ? &*store : nullptr;

  log << "mesos-launch: " << spec.file << " on "
      << (address ? Describe(*address) : masters.EmbeddedUrl()) << "\n";
  CurlHttpClient http;
  Driver run(plan, core, http, ClientOptions(spec, flags, plan, secrets, masters), options, out);
  {
    std::lock_guard<std::mutex> lock(driver_mutex);
    driver = &run;
  }
  int code = run.Run();
  {
    std::lock_guard<std::mutex> lock(driver_mutex);
    driver = nullptr;
  }
  masters.Finish(code, log);
  return code;
}

}  // namespace mlaunch

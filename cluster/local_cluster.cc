#include "cluster/local_cluster.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

#include "cluster/cluster_registry.h"
#include "common/curl_http_client.h"

namespace mlaunch::cluster {

// The registry as this run keeps it: the agents it started, and those
// marked gone (now or before).
struct LocalCluster::Registry {
  std::string path;       // empty: not kept
  ClusterRegistry saved;  // as found at start
  std::mutex mutex;
  ClusterRegistry now;  // guarded by mutex
};

namespace {

void Say(const LocalCluster::Options& options, LocalCluster::Severity severity,
         const std::string& line) {
  if (options.report) options.report(severity, line);
}

// The loopback address for a new agent: the lowest from 127.0.0.2 on that no
// agent of the registry has, gone ones included, and not given out yet.
std::string NextAddress(std::set<std::string>* taken) {
  for (int host = 2;; ++host) {
    std::string address = "127.0.0." + std::to_string(host);
    if (taken->insert(address).second) return address;
  }
}

}  // namespace

LocalCluster::LocalCluster(Options options)
    : options_(std::move(options)),
      registry_(std::make_shared<Registry>()),
      fetch_client_(std::make_unique<CurlHttpClient>()) {}

LocalCluster::~LocalCluster() { Stop(); }

void LocalCluster::Stop() {
  // Executors first, while the master can still hear of their ends.
  for (auto& agent : agents_) agent->Stop();
  if (master_) master_->Stop();
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::Start(Options options) {
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(std::move(options)));
  Options& o = cluster->options_;
  std::shared_ptr<Registry> registry = cluster->registry_;
  if (o.keep_registry) {
    registry->path = RegistryPath(o.work_dir);
    auto loaded = LoadRegistry(registry->path);
    if (!loaded.ok()) {
      return Status::Error(StatusCode::kUnavailable, "cannot restart from the work dir " +
                                                         o.work_dir + ": " + loaded.message());
    }
    registry->saved = loaded.value().value_or(ClusterRegistry{});
  }
  for (const RegisteredAgent& agent : registry->saved.agents) {
    if (agent.gone) {
      o.master.gone_agents.push_back(agent.id);
    } else {
      o.master.recovering = true;
    }
  }
  o.master.on_agent_gone = [registry, report = o.report](const std::string& agent_id) {
    std::lock_guard<std::mutex> lock(registry->mutex);
    if (!registry->now.MarkGone(agent_id) || registry->path.empty()) return;
    if (Status written = SaveRegistry(registry->path, registry->now); !written.ok() && report) {
      report(Severity::kError,
             "agent " + agent_id +
                 " is gone, but the registry could not record it: " + written.message());
    }
  };
  auto master = Master::Start(o.master);
  if (!master.ok()) {
    return Status::Error(master.status().code(),
                         "cannot start the master: " + master.status().message());
  }
  cluster->master_ = std::move(master).value();
  if (Status started = cluster->StartAgents(); !started.ok()) {
    cluster->Stop();
    return started;
  }
  if (!registry->path.empty()) {
    std::lock_guard<std::mutex> lock(registry->mutex);
    if (Status written = SaveRegistry(registry->path, registry->now); !written.ok()) {
      cluster->Stop();
      return Status::Error(written.code(), "cannot write the registry: " + written.message());
    }
  }
  cluster->master_->FinishRecovery();
  return cluster;
}

Status LocalCluster::StartAgents() {
  const ClusterRegistry& saved = registry_->saved;
  const std::size_t asked = options_.agents.size();
  const std::size_t recorded = saved.agents.size();
  if (recorded > asked) {
    Say(options_, Severity::kWarning,
        "the registry in " + options_.work_dir + " has " + std::to_string(recorded) +
            " agents: all of them start again (asked for " + std::to_string(asked) + ")");
  }
  const std::string fetch_cache_dir = options_.work_dir + "/fetch-cache";
  std::error_code ignored;
  std::filesystem::remove_all(fetch_cache_dir, ignored);
  std::set<std::string> taken;
  for (const RegisteredAgent& agent : saved.agents) taken.insert(agent.address);

  for (std::size_t i = 0; i < std::max(asked, recorded); ++i) {
    const RegisteredAgent* before = i < recorded ? &saved.agents[i] : nullptr;
    if (before && before->gone) {
      Say(options_, Severity::kInfo,
          "agent " + before->id + " on " + before->address + " was marked gone: not started again");
      std::lock_guard<std::mutex> lock(registry_->mutex);
      registry_->now.agents.push_back(*before);
      continue;
    }
    const AgentShape& shape = i < asked ? options_.agents[i] : options_.extra_agent;
    LocalAgent::Options agent_options = options_.agent;
    agent_options.address = before ? before->address : NextAddress(&taken);
    agent_options.port = before ? before->port : 0;
    agent_options.agent_id = before ? before->id : "";
    agent_options.work_dir = options_.work_dir;
    agent_options.http_client = fetch_client_.get();
    agent_options.fetch_cache_dir = fetch_cache_dir;
    if (before) {
      agent_options.on_recovered = [id = before->id, report = options_.report](
                                       std::size_t resubscribed, std::size_t recovered) {
        if (!report) return;
        report(Severity::kInfo, "agent " + id +
                                    " finished recovery: " + std::to_string(resubscribed) + " of " +
                                    std::to_string(recovered) + " executors re-subscribed");
      };
    }
    auto started = LocalAgent::Start(agent_options);
    if (!started.ok()) {
      const std::string which = before ? before->id + " again on " + before->address + ":" +
                                             std::to_string(before->port) + " (as recorded in " +
                                             registry_->path + ")"
                                       : std::to_string(i);
      return Status::Error(started.status().code(),
                           "cannot start agent " + which + ": " + started.status().message());
    }
    agents_.push_back(std::move(started).value());
    LocalAgent& agent = *agents_.back();
    mesos::v1::AgentInfo info;
    info.set_hostname(agent_options.address);
    info.set_port(agent.port());
    for (const auto& r : shape.resources) *info.add_resources() = r;
    for (const auto& a : shape.attributes) *info.add_attributes() = a;
    std::string id = agent_options.agent_id;
    if (before) {
      agent.ReregisterWith(*master_, info);
      Say(options_, Severity::kInfo,
          "agent " + id + " on " + agent.endpoint() + " re-registered with " +
              std::to_string(agent.Recovered().size()) + " recovered executors");
      if (const std::size_t killed = agent.KilledAtRecovery(); killed > 0) {
        Say(options_, Severity::kInfo,
            "agent " + id + " killed " + std::to_string(killed) +
                " executors it could not recover (their frameworks do not checkpoint, or their "
                "checkpoint is gone)");
      }
    } else {
      id = agent.RegisterWith(*master_, info);
      Say(options_, Severity::kInfo, "agent " + id + " on " + agent.endpoint() + " registered");
    }
    std::lock_guard<std::mutex> lock(registry_->mutex);
    registry_->now.agents.push_back({id, agent_options.address, agent.port()});
  }
  return Status::Ok();
}

}  // namespace mlaunch::cluster

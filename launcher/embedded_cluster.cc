#include "launcher/embedded_cluster.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "cluster/agent.h"
#include "cluster/agent_spec.h"
#include "cluster/machine.h"
#include "cluster/master_http.h"
#include "common/curl_http_client.h"

namespace mlaunch {

using cluster::LocalAgent;
using cluster::Master;

struct EmbeddedCluster::Parts {
  std::string work_dir;
  std::string resources;  // as offered, in ParseResources() text
  CurlHttpClient fetch_client;  // the agent's, for http(s) artifacts
  std::unique_ptr<Master> master;
  std::unique_ptr<LocalAgent> agent;
};

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::Start() {
  auto parts = std::make_unique<Parts>();
  std::error_code error;
  std::filesystem::path temp = std::filesystem::temp_directory_path(error);
  if (error) temp = "/tmp";
  std::string pattern = (temp / "mesos-launch.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot create a work directory under " + temp.string() + ": " +
                             std::strerror(errno) +
                             " (set TMPDIR to a writable directory)");
  }
  parts->work_dir = pattern;
  parts->resources = cluster::MachineResources(parts->work_dir);
  auto resources = cluster::ParseResources(parts->resources);
  if (!resources.ok()) return resources.status();

  Master::Options master_options;
  master_options.port = 0;
  // Offers follow a new subscription quickly: one machine, nobody to share
  // it with, and a person waiting for the first task.
  master_options.allocation_interval = 100;
  auto master = Master::Start(master_options);
  if (!master.ok()) return master.status();
  parts->master = std::move(master).value();

  LocalAgent::Options agent_options;
  agent_options.address = "127.0.0.2";
  agent_options.work_dir = parts->work_dir;
  agent_options.http_client = &parts->fetch_client;
  agent_options.executors_die_with_agent = true;  // however mesos-launch ends
  agent_options.fetch_cache_dir = parts->work_dir + "/fetch-cache";
  auto agent = LocalAgent::Start(agent_options);
  if (!agent.ok()) {
    parts->master->Stop();
    return agent.status();
  }
  parts->agent = std::move(agent).value();
  mesos::v1::AgentInfo info;
  info.set_hostname(agent_options.address);
  info.set_port(parts->agent->port());
  for (const auto& r : resources.value()) *info.add_resources() = r;
  parts->agent->RegisterWith(*parts->master, info);
  return std::unique_ptr<EmbeddedCluster>(new EmbeddedCluster(std::move(parts)));
}

EmbeddedCluster::EmbeddedCluster(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

EmbeddedCluster::~EmbeddedCluster() { Stop(); }

void EmbeddedCluster::Stop() {
  // Executors first, while the master can still hear of their ends.
  parts_->agent->Stop();
  parts_->master->Stop();
}

std::string EmbeddedCluster::master_url() const { return parts_->master->url(); }

std::string EmbeddedCluster::Describe() const {
  return "embedded cluster: master " + parts_->master->url() + ", 1 agent on " +
         parts_->agent->endpoint() + " offering " + parts_->resources + "; sandboxes under " +
         parts_->work_dir;
}

}  // namespace mlaunch

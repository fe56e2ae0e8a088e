#include "launcher/embedded_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include "cluster/agent_spec.h"
#include "cluster/local_cluster.h"
#include "cluster/machine.h"
#include "cluster/port_leases.h"
#include "common/build_info.h"

namespace mlaunch {

using cluster::LocalCluster;

struct EmbeddedCluster::Parts {
  std::string work_dir;
  std::string resources;  // as offered, in ParseResources() text
  std::unique_ptr<LocalCluster> cluster;
};

namespace {

// Where LocalCluster puts the first agent (cluster/local_cluster.h).
constexpr const char* kAgentAddress = "127.0.0.2";

// The ports of [first, last] that can be listened on at `address` now and
// that no other agent leased to a task (cluster/port_leases.h), as ranges
// text ("[31001-32000]"); empty when none can. The agent offers only those:
// another mesos-launch on this machine (whose embedded agent offers the same
// ports on the same address) or any other program may hold some, and a task
// given a port in use could only fail, again and again. Ports leased later,
// by a run started at the same time, are refused at launch by the lease.
std::string FreePortRanges(const std::string& address, std::uint16_t first, std::uint16_t last,
                           const std::string& lease_dir) {
  sockaddr_in probe{};
  probe.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &probe.sin_addr) != 1) return "";
  std::string ranges;
  std::optional<std::uint16_t> open_from;
  auto close_range = [&](std::uint16_t end) {
    if (!open_from) return;
    ranges += (ranges.empty() ? "" : ",") + std::to_string(*open_from) + "-" + std::to_string(end);
    open_from.reset();
  };
  for (std::uint32_t port = first; port <= last; ++port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "";
    const int on = 1;  // as the executor's server binds: TIME_WAIT is no obstacle
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    probe.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&probe), sizeof probe) == 0 &&
                      !cluster::LeasedElsewhere(lease_dir, address, port);
    ::close(fd);
    if (free && !open_from) open_from = static_cast<std::uint16_t>(port);
    if (!free) close_range(static_cast<std::uint16_t>(port - 1));
  }
  close_range(last);
  return ranges.empty() ? "" : "[" + ranges + "]";
}

}  // namespace

Result<std::unique_ptr<EmbeddedCluster>> EmbeddedCluster::Start(const std::string& launcher_dir) {
  auto parts = std::make_unique<Parts>();
  std::error_code error;
  std::filesystem::path temp = std::filesystem::temp_directory_path(error);
  if (error) temp = "/tmp";
  std::string pattern = (temp / "mesos-launch.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::Error(StatusCode::kUnavailable, "cannot create a work directory under " +
                                                       temp.string() + ": " + std::strerror(errno) +
                                                       " (set TMPDIR to a writable directory)");
  }
  parts->work_dir = pattern;
  parts->resources = cluster::MachineResources(parts->work_dir);
  constexpr std::string_view kPorts = "ports:[31000-32000]";
  if (const size_t at = parts->resources.find(kPorts); at != std::string::npos) {
    if (std::string free =
            FreePortRanges(kAgentAddress, 31000, 32000, cluster::DefaultPortLeaseDir());
        !free.empty()) {
      parts->resources.replace(at, kPorts.size(), "ports:" + free);
    }
  }
  auto resources = cluster::ParseResources(parts->resources);
  if (!resources.ok()) return resources.status();

  LocalCluster::Options options;
  options.work_dir = parts->work_dir;
  options.agents = {cluster::AgentShape{resources.value(), {}}};
  options.master.port = 0;
  // Offers follow a new subscription quickly: one machine, nobody to share
  // it with, and a person waiting for the first task.
  options.master.allocation_interval = 100;
  options.master.git_sha = std::string(ThisBuild().commit);
  options.master.build_version = ThisBuild().Full();
  options.agent.executors_die_with_agent = true;  // however mesos-launch ends
  options.agent.launcher_dir = launcher_dir;
  options.agent.port_lease_dir = cluster::DefaultPortLeaseDir();
  auto started = LocalCluster::Start(std::move(options));
  if (!started.ok()) return started.status();
  parts->cluster = std::move(started).value();
  return std::unique_ptr<EmbeddedCluster>(new EmbeddedCluster(std::move(parts)));
}

EmbeddedCluster::EmbeddedCluster(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

EmbeddedCluster::~EmbeddedCluster() { Stop(); }

void EmbeddedCluster::Stop() { parts_->cluster->Stop(); }

void EmbeddedCluster::RemoveWorkDir() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(parts_->work_dir, ignored);
}

const std::string& EmbeddedCluster::work_dir() const { return parts_->work_dir; }

std::string EmbeddedCluster::master_url() const { return parts_->cluster->master().url(); }

std::string EmbeddedCluster::Describe() const {
  return "embedded cluster: master " + master_url() + ", 1 agent on " +
         parts_->cluster->agents().front()->endpoint() + " offering " + parts_->resources +
         "; sandboxes under " + parts_->work_dir;
}

}  // namespace mlaunch

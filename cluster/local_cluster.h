// LocalCluster: a master and its agents started together in this process,
// one agent per loopback address from 127.0.0.2 — the one bootstrap behind
// both mesos-launch-cluster (cluster/main.cc) and the cluster mesos-launch
// embeds when no master is named (launcher/embedded_cluster.h).
//
// Start() runs the master, then each agent (registered with the master,
// sharing one HTTP fetcher and one fetch cache, emptied at start as a Mesos
// agent empties its cache), and returns once every agent is registered.
//
// With Options::keep_registry the work dir also holds the cluster's registry
// (cluster/cluster_registry.h): agents recorded there start again with the
// same ids, addresses and ports, recover their checkpointed executors and
// re-register, and the master takes scheduler calls only after that; agents
// marked gone are not started, and a mark made while running is recorded.
//
// Threads: Start() and Stop() from one owner thread. Options::report is
// called from that thread during Start(), and later from the master's and
// agents' threads (a recovery finished, a registry write failed).
#ifndef MLAUNCH_CLUSTER_LOCAL_CLUSTER_H_
#define MLAUNCH_CLUSTER_LOCAL_CLUSTER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/agent.h"
#include "cluster/cluster_file.h"
#include "cluster/master_http.h"
#include "common/status.h"

namespace mlaunch::cluster {

class LocalCluster {
 public:
  // How much a line Options::report gives matters.
  enum class Severity { kInfo, kWarning, kError };

  struct Options {
    // Must exist: sandboxes, the fetch cache and the registry go under it.
    std::string work_dir;
    Master::Options master;
    // What each agent asked for offers and carries, one entry per agent.
    std::vector<AgentShape> agents;
    // The shape of an agent the registry has beyond those asked for.
    AgentShape extra_agent;
    // What every agent shares. Start() sets, per agent: address, port,
    // agent_id, work_dir, http_client, fetch_cache_dir and on_recovered.
    LocalAgent::Options agent;
    // Keep the registry in work_dir and start again from it (see above).
    bool keep_registry = false;
    // What happens to the agents, as lines for the operator's log; null:
    // said nowhere.
    std::function<void(Severity, const std::string&)> report;
  };

  // Fails, naming the agent and the cause, when the registry cannot be read
  // or written, or the master or an agent cannot start; what did start is
  // stopped again.
  static Result<std::unique_ptr<LocalCluster>> Start(Options options);

  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;
  ~LocalCluster();  // Stop()

  // Kills every executor the agents started, stops the agents, then the
  // master. Idempotent.
  void Stop();

  Master& master() { return *master_; }
  const Master& master() const { return *master_; }
  const std::vector<std::unique_ptr<LocalAgent>>& agents() const { return agents_; }

 private:
  struct Registry;
  explicit LocalCluster(Options options);
  Status StartAgents();

  Options options_;
  std::shared_ptr<Registry> registry_;  // shared with the master's on_agent_gone
  std::unique_ptr<HttpClient> fetch_client_;
  std::unique_ptr<Master> master_;
  std::vector<std::unique_ptr<LocalAgent>> agents_;
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_LOCAL_CLUSTER_H_

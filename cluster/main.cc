// mesos-launch-cluster: the embedded Mesos master and its agents, one per
// loopback address from 127.0.0.2. Wiring only: flags, the registry, the
// Master, the agents, signals.
//
// The work dir keeps the cluster's registry (cluster/cluster_registry.h):
// started again with the same --work-dir after a crash (SIGKILL), the
// cluster brings its agents back with the same ids, addresses and ports;
// they recover the executors of checkpointing frameworks that outlived the
// crash and re-register with their tasks, and only then does the master
// take scheduler calls. Executors of other frameworks die with the cluster
// (cluster/agent.h says how), and any found alive at the restart are
// killed. SIGTERM/SIGINT kill every executor and exit 0.
//
// --zk zk://HOST:PORT/path makes the master contend for leadership in
// ZooKeeper as a Mesos master does (an ephemeral sequential json.info_ node
// with its MasterInfo JSON; the oldest node leads), once its agents are
// registered. Until elected it redirects schedulers to the leader (307) or
// answers 503; see docs/embedded-cluster.md.
//
// Tasks with only a CommandInfo run under mesos-launch-executor as their
// command executor, found in --launcher-dir (default: this program's own
// directory), as a Mesos agent runs mesos-executor from its --launcher_dir.
//
// --tls-cert/--tls-key make the master serve HTTPS only; the agents' executor
// API stays plain HTTP on loopback (only executors reach it).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "cluster/agent.h"
#include "cluster/agent_spec.h"
#include "cluster/cluster_file.h"
#include "cluster/cluster_registry.h"
#include "cluster/command_executor.h"
#include "cluster/credentials_file.h"
#include "cluster/machine.h"
#include "cluster/master_http.h"
#include "cluster/port_leases.h"
#include "common/build_info.h"
#include "common/curl_http_client.h"
#include "common/file_limit.h"
#include "detect/master_address.h"
#include "detect/zk_detector.h"
#include "google/protobuf/util/json_util.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

using mlaunch::cluster::AgentShape;
using mlaunch::cluster::ClusterRegistry;
using mlaunch::cluster::LocalAgent;
using mlaunch::cluster::Master;

constexpr int kUsage = 64;

}  // namespace

int main(int argc, char** argv) {
  // Its agents may hold connections to many executors (common/file_limit.h).
  mlaunch::RaiseOpenFileLimit();
  cxxopts::Options options("mesos-launch-cluster",
                           "A Mesos master and agents in one process, on loopback.");
  // clang-format off
  options.add_options()
      ("port", "master port (0: any free one)", cxxopts::value<int>()->default_value("5050"))
      ("agents", "number of agents", cxxopts::value<int>()->default_value("1"))
      ("agent-resources",
       "resources of each agent, e.g. 'cpus:2;mem:2048;ports:[31000-31999]' "
       "(default: sized from the machine)",
       cxxopts::value<std::string>()->default_value(""))
      ("work-dir", "where sandboxes go (default: a new temporary directory)",
       cxxopts::value<std::string>()->default_value(""))
      ("executor-registration-timeout", "seconds an executor has to subscribe",
       cxxopts::value<double>()->default_value("60"))
      ("executor-reregistration-timeout",
       "seconds a recovered executor has to subscribe again after a restart (at most 15)",
       cxxopts::value<double>()->default_value("2"))
      ("recovery-timeout",
       "seconds executors of checkpointing frameworks wait for their agent to come back",
       cxxopts::value<double>()->default_value("900"))
      ("agent-attributes", "attributes of each agent, e.g. 'rack:r1'",
       cxxopts::value<std::string>()->default_value(""))
      ("cluster-file",
       "YAML file of agents that differ (instead of --agents/--agent-resources/"
       "--agent-attributes); see docs/embedded-cluster.md",
       cxxopts::value<std::string>())
      ("credentials", "file of principal/secret pairs; then HTTP Basic auth is required",
       cxxopts::value<std::string>())
      ("allocation-interval", "seconds between allocations",
       cxxopts::value<double>()->default_value("1"))
      ("tls-cert", "PEM certificate chain: the master serves HTTPS (needs --tls-key)",
       cxxopts::value<std::string>())
      ("tls-key", "PEM private key of --tls-cert", cxxopts::value<std::string>())
      ("zk", "contend for leadership with other masters under zk://HOST:PORT[,...]/path",
       cxxopts::value<std::string>())
      ("zk-session-timeout", "seconds of the ZooKeeper session that holds the master's node",
       cxxopts::value<double>()->default_value("10"))
      ("heartbeat-interval", "seconds between HEARTBEAT events to schedulers and operator streams",
       cxxopts::value<double>()->default_value("15"))
      ("launcher-dir",
       "directory of mesos-launch-executor, the command executor of tasks with only a "
       "CommandInfo (default: this program's directory)",
       cxxopts::value<std::string>())
      ("agent-max-connections",
       "connections each agent's executor endpoint holds at once (every executor keeps one "
       "open): bounds the executors an agent runs",
       cxxopts::value<std::size_t>()->default_value("4096"))
      ("sandbox-gc-delay",
       "seconds a sandbox is kept after its executor ended (sooner when the disk is over 90% "
       "full; the latest 10 are always kept)",
       cxxopts::value<double>()->default_value("3600"))
      ("no-executor-authentication",
       "let executors call their agent without the token it gives them in "
       "MESOS_EXECUTOR_AUTHENTICATION_TOKEN (for executors built on a Mesos library that "
       "cannot send it); by default a call without it is refused with 401")
      ("h,help", "show this help")
      ("version", "print the version");
  // clang-format on
  cxxopts::ParseResult args;
  try {
    args = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "mesos-launch-cluster: " << e.what() << "\n";
    return kUsage;
  }
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  if (args.count("version")) {
    std::cout << mlaunch::ThisBuild().VersionText("mesos-launch-cluster");
    return 0;
  }
  // Logs go to stderr; stdout carries only the "listening" line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("cluster"));
  const int port = args["port"].as<int>();
  const int agents = args["agents"].as<int>();
  const double allocation = args["allocation-interval"].as<double>();
  if (port < 0 || port > 65535 || agents < 0 || agents > 250 || !(allocation > 0)) {
    std::cerr << "mesos-launch-cluster: --port must be 0-65535, --agents 0-250 and "
                 "--allocation-interval > 0\n";
    return kUsage;
  }
  if (args.count("tls-cert") != args.count("tls-key")) {
    std::cerr << "mesos-launch-cluster: give both --tls-cert and --tls-key, or neither\n";
    return kUsage;
  }
  const double heartbeat = args["heartbeat-interval"].as<double>();
  const double zk_session_timeout = args["zk-session-timeout"].as<double>();
  if (!(heartbeat >= 0.01 && heartbeat <= 3600) ||
      !(zk_session_timeout >= 0.1 && zk_session_timeout <= 600)) {
    std::cerr << "mesos-launch-cluster: --heartbeat-interval must be in [0.01, 3600] and "
                 "--zk-session-timeout in [0.1, 600]\n";
    return kUsage;
  }
  std::optional<mlaunch::ZooKeeperTarget> zk;
  if (args.count("zk")) {
    auto parsed = mlaunch::ParseMasterAddress(args["zk"].as<std::string>());
    if (!parsed.ok() || !parsed.value().is_zookeeper()) {
      std::cerr << "mesos-launch-cluster: --zk: "
                << (parsed.ok() ? "expected zk://HOST:PORT/path" : parsed.message()) << "\n";
      return kUsage;
    }
    zk = std::get<mlaunch::ZooKeeperTarget>(parsed.value().target);
  }
  const double registration_timeout = args["executor-registration-timeout"].as<double>();
  if (!(registration_timeout > 0)) {
    std::cerr << "mesos-launch-cluster: --executor-registration-timeout must be > 0\n";
    return kUsage;
  }
  const double reregistration_timeout = args["executor-reregistration-timeout"].as<double>();
  const double recovery_timeout = args["recovery-timeout"].as<double>();
  const bool authenticate_executors = args.count("no-executor-authentication") == 0;
  const std::size_t agent_max_connections = args["agent-max-connections"].as<std::size_t>();
  if (agent_max_connections < 16) {
    std::cerr << "mesos-launch-cluster: --agent-max-connections must be 16 or more\n";
    return kUsage;
  }
  const double gc_delay = args["sandbox-gc-delay"].as<double>();
  if (!(gc_delay >= 0)) {
    std::cerr << "mesos-launch-cluster: --sandbox-gc-delay must be 0 or more seconds\n";
    return kUsage;
  }
  if (!(reregistration_timeout > 0 && reregistration_timeout <= 15) || !(recovery_timeout > 0)) {
    std::cerr << "mesos-launch-cluster: --executor-reregistration-timeout must be in (0, 15] "
                 "and --recovery-timeout > 0\n";
    return kUsage;
  }
  std::string work_dir = args["work-dir"].as<std::string>();
  if (work_dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mesos-launch-cluster.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "mesos-launch-cluster: cannot create a temporary work directory\n";
      return 2;
    }
    work_dir = pattern;
  } else {
    std::error_code error;
    std::filesystem::create_directories(work_dir, error);
    if (error) {
      std::cerr << "mesos-launch-cluster: cannot create --work-dir " << work_dir << ": "
                << error.message() << "\n";
      return kUsage;
    }
  }
  work_dir = std::filesystem::absolute(work_dir).string();
  std::string launcher_dir;
  if (args.count("launcher-dir")) {
    launcher_dir = std::filesystem::absolute(args["launcher-dir"].as<std::string>()).string();
  } else {
    std::error_code error;
    launcher_dir = std::filesystem::read_symlink("/proc/self/exe", error).parent_path().string();
  }
  const std::string command_executor =
      (std::filesystem::path(launcher_dir) / mlaunch::cluster::kCommandExecutorName).string();
  // What each agent offers: alike from the flags, or each its own from the
  // cluster file.
  const std::string machine = mlaunch::cluster::MachineResources(work_dir);
  std::vector<AgentShape> shapes;
  if (args.count("cluster-file")) {
    if (args.count("agents") || args.count("agent-resources") || args.count("agent-attributes")) {
      std::cerr << "mesos-launch-cluster: give --cluster-file, or --agents/--agent-resources/"
                   "--agent-attributes, not both\n";
      return kUsage;
    }
    const std::string path = args["cluster-file"].as<std::string>();
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) {
      std::cerr << "mesos-launch-cluster: cannot read --cluster-file " << path << "\n";
      return kUsage;
    }
    auto parsed = mlaunch::cluster::ParseClusterFile(path, text.str(), machine, 250);
    if (!parsed.ok()) {
      std::cerr << "mesos-launch-cluster: " << parsed.message() << "\n";
      return kUsage;
    }
    shapes = std::move(parsed).value();
  } else {
    std::string resource_text = args["agent-resources"].as<std::string>();
    if (resource_text.empty()) resource_text = machine;
    auto resources = mlaunch::cluster::ParseResources(resource_text);
    auto attributes = mlaunch::cluster::ParseAttributes(args["agent-attributes"].as<std::string>());
    if (!resources.ok() || !attributes.ok()) {
      std::cerr << "mesos-launch-cluster: "
                << (resources.ok() ? attributes.message() : resources.message()) << "\n";
      return kUsage;
    }
    shapes.assign(static_cast<std::size_t>(agents),
                  AgentShape{resources.value(), attributes.value()});
  }
  const int agent_count = static_cast<int>(shapes.size());

  const std::string registry_path = mlaunch::cluster::RegistryPath(work_dir);
  auto loaded = mlaunch::cluster::LoadRegistry(registry_path);
  if (!loaded.ok()) {
    std::cerr << "mesos-launch-cluster: cannot restart from --work-dir " << work_dir << ": "
              << loaded.message() << "\n";
    return 2;
  }
  const ClusterRegistry saved = loaded.value().value_or(ClusterRegistry{});

  // The registry as this run keeps it: the agents it starts, and those
  // marked gone (now or before), saved again when the operator marks one.
  std::mutex registry_mutex;
  ClusterRegistry registry;
  Master::Options master_options;
  for (const auto& agent : saved.agents) {
    if (agent.gone) {
      master_options.gone_agents.push_back(agent.id);
    } else {
      master_options.recovering = true;
    }
  }
  master_options.on_agent_gone = [&](const std::string& agent_id) {
    std::lock_guard<std::mutex> lock(registry_mutex);
    if (!registry.MarkGone(agent_id)) return;
    if (mlaunch::Status written = mlaunch::cluster::SaveRegistry(registry_path, registry);
        !written.ok()) {
      spdlog::error("agent {} is gone, but the registry could not record it: {}", agent_id,
                    written.message());
    }
  };
  if (args.count("tls-cert")) {
    master_options.tls_cert_file = args["tls-cert"].as<std::string>();
    master_options.tls_key_file = args["tls-key"].as<std::string>();
  }
  master_options.port = static_cast<std::uint16_t>(port);
  master_options.heartbeat_interval = static_cast<mlaunch::UnixMillis>(heartbeat * 1000);
  master_options.elected = zk.has_value();
  master_options.git_sha = std::string(mlaunch::ThisBuild().commit);
  master_options.build_version = mlaunch::ThisBuild().Full();
  master_options.allocation_interval = static_cast<mlaunch::UnixMillis>(allocation * 1000);
  if (args.count("credentials")) {
    const std::string path = args["credentials"].as<std::string>();
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    if (!file) {
      std::cerr << "mesos-launch-cluster: cannot read credentials file " << path << "\n";
      return kUsage;
    }
    auto credentials = mlaunch::cluster::ParseCredentials(text.str());
    if (!credentials.ok()) {
      std::cerr << "mesos-launch-cluster: " << path << ": " << credentials.message() << "\n";
      return kUsage;
    }
    master_options.credentials = std::move(credentials).value();
  }

  // Signals are taken by sigwait() below, never by a handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto started = Master::Start(master_options);
  if (!started.ok()) {
    spdlog::error("cannot start the master: {}", started.message());
    return 2;
  }
  std::unique_ptr<Master> master = std::move(started).value();
  // The agents' fetcher: one HTTP client and one cache for all, the cache
  // emptied at start as a Mesos agent does.
  mlaunch::CurlHttpClient fetch_client;
  const std::string fetch_cache_dir = work_dir + "/fetch-cache";
  {
    std::error_code error;
    std::filesystem::remove_all(fetch_cache_dir, error);
  }
  std::vector<std::unique_ptr<LocalAgent>> agent_objects;
  auto stop_all = [&] {
    for (auto& started_agent : agent_objects) started_agent->Stop();
    master->Stop();
  };
  const int saved_agents = static_cast<int>(saved.agents.size());
  if (saved_agents > agent_count) {
    spdlog::warn("the registry in {} has {} agents: all of them start again (asked for {})",
                 work_dir, saved_agents, agent_count);
  }
  // New agents take the loopback addresses no agent of the registry has,
  // gone ones included.
  std::set<std::string> taken;
  for (const auto& agent : saved.agents) taken.insert(agent.address);
  int next_address = 2;
  for (int i = 0; i < std::max(agent_count, saved_agents); ++i) {
    if (i < saved_agents && saved.agents[i].gone) {
      spdlog::info("agent {} on {} was marked gone: not started again", saved.agents[i].id,
                   saved.agents[i].address);
      std::lock_guard<std::mutex> lock(registry_mutex);
      registry.agents.push_back(saved.agents[i]);
      continue;
    }
    // Agents the registry has beyond those asked for keep the machine's size.
    const AgentShape shape =
        i < agent_count ? shapes[static_cast<std::size_t>(i)]
                        : AgentShape{mlaunch::cluster::ParseResources(machine).value(), {}};
    LocalAgent::Options agent_options;
    if (i >= saved_agents) {
      while (taken.count("127.0.0." + std::to_string(next_address)) > 0) ++next_address;
      agent_options.address = "127.0.0." + std::to_string(next_address++);
    }
    if (i < saved_agents) {
      agent_options.address = saved.agents[i].address;
      agent_options.port = saved.agents[i].port;
      agent_options.agent_id = saved.agents[i].id;
    }
    agent_options.work_dir = work_dir;
    agent_options.http_client = &fetch_client;
    agent_options.fetch_cache_dir = fetch_cache_dir;
    agent_options.launcher_dir = launcher_dir;
    agent_options.registration_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(registration_timeout * 1000));
    agent_options.reregistration_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(reregistration_timeout * 1000));
    agent_options.recovery_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(recovery_timeout * 1000));
    agent_options.authenticate_executors = authenticate_executors;
    agent_options.port_lease_dir = mlaunch::cluster::DefaultPortLeaseDir();
    agent_options.max_connections = agent_max_connections;
    agent_options.sandbox_gc.delay =
        std::chrono::milliseconds(static_cast<std::int64_t>(gc_delay * 1000));
    if (i < saved_agents) {
      agent_options.on_recovered = [id = agent_options.agent_id](std::size_t resubscribed,
                                                                 std::size_t recovered) {
        spdlog::info("agent {} finished recovery: {} of {} executors re-subscribed", id,
                     resubscribed, recovered);
      };
    }
    auto agent = LocalAgent::Start(agent_options);
    if (!agent.ok()) {
      if (i < saved_agents) {
        spdlog::error("cannot start agent {} again on {}:{} (as recorded in {}): {}",
                      agent_options.agent_id, agent_options.address, agent_options.port,
                      registry_path, agent.message());
      } else {
        spdlog::error("cannot start agent {}: {}", i, agent.message());
      }
      stop_all();
      return 2;
    }
    agent_objects.push_back(std::move(agent).value());
    LocalAgent& local = *agent_objects.back();
    mesos::v1::AgentInfo info;
    info.set_hostname(agent_options.address);
    info.set_port(local.port());
    for (const auto& r : shape.resources) *info.add_resources() = r;
    for (const auto& a : shape.attributes) *info.add_attributes() = a;
    std::string id = agent_options.agent_id;
    if (i < saved_agents) {
      local.ReregisterWith(*master, info);
      spdlog::info("agent {} on {} re-registered with {} recovered executors", id, local.endpoint(),
                   local.Recovered().size());
      if (const std::size_t killed = local.KilledAtRecovery(); killed > 0) {
        spdlog::info(
            "agent {} killed {} executors it could not recover (their frameworks "
            "do not checkpoint, or their checkpoint is gone)",
            id, killed);
      }
    } else {
      id = local.RegisterWith(*master, info);
      spdlog::info("agent {} on {} registered", id, local.endpoint());
    }
    std::lock_guard<std::mutex> lock(registry_mutex);
    registry.agents.push_back({id, agent_options.address, local.port()});
  }
  mlaunch::Status written;
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    written = mlaunch::cluster::SaveRegistry(registry_path, registry);
  }
  if (!written.ok()) {
    spdlog::error("cannot write the registry: {}", written.message());
    stop_all();
    return 2;
  }
  master->FinishRecovery();
  spdlog::info("sandboxes under {}", work_dir);
  if (access(command_executor.c_str(), X_OK) != 0) {
    spdlog::warn(
        "no executable {}: command tasks (TaskInfo.command) will fail; give "
        "--launcher-dir the directory holding it",
        command_executor);
  }
  // Both lines in one write: a reader that stops after the first (and
  // closes the pipe) must not find a second write failing with SIGPIPE.
  std::cout << "master listening on " << master->url() << "\nstatus page: " << master->url() << "/"
            << std::endl;

  // The election, once the agents are in: the detector's session holds our
  // node, and every change of leader tells the master how to act.
  std::unique_ptr<mlaunch::ZkDetector> election;
  if (zk) {
    std::string info_json;
    google::protobuf::util::JsonPrintOptions json_options;
    json_options.preserve_proto_field_names = true;
    (void)google::protobuf::util::MessageToJsonString(master->master_info(), &info_json,
                                                      json_options);
    mlaunch::ZkDetectorOptions zk_options;
    zk_options.session_timeout =
        std::chrono::milliseconds(static_cast<std::int64_t>(zk_session_timeout * 1000));
    zk_options.contend_with = info_json;
    Master* elected = master.get();
    auto started_election = mlaunch::ZkDetector::Start(
        *zk,
        [elected](const mlaunch::Detection& detection) {
          // The master acts on it before the log says so (tests wait for
          // the line).
          Master::Leadership leadership;
          std::string said;
          if (!detection.leader) {
            leadership.role = Master::Leadership::Role::kNoLeader;
            said = "no leader: " + detection.problem;
          } else if (!detection.own.empty() && detection.leader->znode == detection.own) {
            leadership.role = Master::Leadership::Role::kLeading;
            said = "leading as " + detection.own;
          } else {
            leadership.role = Master::Leadership::Role::kFollowing;
            const mesos::v1::MasterInfo& info = detection.leader->info;
            const std::string host =
                info.hostname().empty() ? detection.leader->address.host : info.hostname();
            leadership.leader = host + ":" + std::to_string(detection.leader->address.port);
            said = "following the leader " + detection.leader->znode + " at " + leadership.leader;
          }
          const bool none = leadership.role == Master::Leadership::Role::kNoLeader;
          elected->SetLeadership(std::move(leadership));
          if (none) {
            spdlog::warn("election: {}", said);
          } else {
            spdlog::info("election: {}", said);
          }
        },
        zk_options);
    if (!started_election.ok()) {
      spdlog::error("cannot take part in the election: {}", started_election.message());
      stop_all();
      return 2;
    }
    election = std::move(started_election).value();
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: stopping", signal_number);
  election.reset();  // leaves the election first
  // Executors first: every process group the agents started is killed.
  for (auto& agent : agent_objects) agent->Stop();
  master->Stop();
  return 0;
}

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

#include <chrono>
#include <cxxopts.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "cluster/agent.h"
#include "cluster/agent_spec.h"
#include "cluster/cluster_file.h"
#include "cluster/command_executor.h"
#include "cluster/credentials_file.h"
#include "cluster/local_cluster.h"
#include "cluster/machine.h"
#include "cluster/master_http.h"
#include "cluster/port_leases.h"
#include "common/build_info.h"
#include "common/file_limit.h"
#include "detect/master_address.h"
#include "detect/zk_detector.h"
#include "google/protobuf/util/json_util.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

using mlaunch::Result;
using mlaunch::Status;
using mlaunch::cluster::AgentShape;
using mlaunch::cluster::LocalAgent;
using mlaunch::cluster::LocalCluster;
using mlaunch::cluster::Master;

constexpr int kUsage = 64;
constexpr int kCannotStart = 2;

// A flag's problem, said as the user's mistake (exit 64).
Status Usage(std::string message) { return Status::InvalidData(std::move(message)); }

cxxopts::Options FlagTable() {
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
  return options;
}

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return std::nullopt;
  return text.str();
}

std::chrono::milliseconds Seconds(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

// The master's flags: port, TLS, credentials and its intervals.
Result<Master::Options> MasterFlags(const cxxopts::ParseResult& args) {
  const int port = args["port"].as<int>();
  const double allocation = args["allocation-interval"].as<double>();
  const double heartbeat = args["heartbeat-interval"].as<double>();
  if (port < 0 || port > 65535 || !(allocation > 0)) {
    return Usage("--port must be 0-65535 and --allocation-interval > 0");
  }
  if (!(heartbeat >= 0.01 && heartbeat <= 3600)) {
    return Usage("--heartbeat-interval must be in [0.01, 3600]");
  }
  if (args.count("tls-cert") != args.count("tls-key")) {
    return Usage("give both --tls-cert and --tls-key, or neither");
  }
  Master::Options master;
  master.port = static_cast<std::uint16_t>(port);
  master.heartbeat_interval = static_cast<mlaunch::UnixMillis>(heartbeat * 1000);
  master.allocation_interval = static_cast<mlaunch::UnixMillis>(allocation * 1000);
  master.elected = args.count("zk") > 0;
  master.git_sha = std::string(mlaunch::ThisBuild().commit);
  master.build_version = mlaunch::ThisBuild().Full();
  if (args.count("tls-cert")) {
    master.tls_cert_file = args["tls-cert"].as<std::string>();
    master.tls_key_file = args["tls-key"].as<std::string>();
  }
  if (args.count("credentials")) {
    const std::string path = args["credentials"].as<std::string>();
    std::optional<std::string> text = ReadText(path);
    if (!text) return Usage("cannot read credentials file " + path);
    auto credentials = mlaunch::cluster::ParseCredentials(*text);
    if (!credentials.ok()) return Usage(path + ": " + credentials.message());
    master.credentials = std::move(credentials).value();
  }
  return master;
}

// What every agent shares: its executors' timeouts and limits, and where
// the command executor is.
Result<LocalAgent::Options> AgentFlags(const cxxopts::ParseResult& args) {
  const double registration = args["executor-registration-timeout"].as<double>();
  const double reregistration = args["executor-reregistration-timeout"].as<double>();
  const double recovery = args["recovery-timeout"].as<double>();
  const double gc_delay = args["sandbox-gc-delay"].as<double>();
  const std::size_t max_connections = args["agent-max-connections"].as<std::size_t>();
  if (!(registration > 0)) return Usage("--executor-registration-timeout must be > 0");
  if (max_connections < 16) return Usage("--agent-max-connections must be 16 or more");
  if (!(gc_delay >= 0)) return Usage("--sandbox-gc-delay must be 0 or more seconds");
  if (!(reregistration > 0 && reregistration <= 15) || !(recovery > 0)) {
    return Usage("--executor-reregistration-timeout must be in (0, 15] and --recovery-timeout > 0");
  }
  LocalAgent::Options agent;
  if (args.count("launcher-dir")) {
    agent.launcher_dir = std::filesystem::absolute(args["launcher-dir"].as<std::string>()).string();
  } else {
    std::error_code error;
    agent.launcher_dir =
        std::filesystem::read_symlink("/proc/self/exe", error).parent_path().string();
  }
  agent.registration_timeout = Seconds(registration);
  agent.reregistration_timeout = Seconds(reregistration);
  agent.recovery_timeout = Seconds(recovery);
  agent.authenticate_executors = args.count("no-executor-authentication") == 0;
  agent.port_lease_dir = mlaunch::cluster::DefaultPortLeaseDir();
  agent.max_connections = max_connections;
  agent.sandbox_gc.delay = Seconds(gc_delay);
  return agent;
}

// What each agent offers: alike from the flags, or each its own from the
// cluster file. `machine` is this machine's size, in resources text.
Result<std::vector<AgentShape>> AgentShapes(const cxxopts::ParseResult& args,
                                            const std::string& machine) {
  if (args.count("cluster-file")) {
    if (args.count("agents") || args.count("agent-resources") || args.count("agent-attributes")) {
      return Usage(
          "give --cluster-file, or --agents/--agent-resources/--agent-attributes, not both");
    }
    const std::string path = args["cluster-file"].as<std::string>();
    std::optional<std::string> text = ReadText(path);
    if (!text) return Usage("cannot read --cluster-file " + path);
    auto parsed = mlaunch::cluster::ParseClusterFile(path, *text, machine, 250);
    if (!parsed.ok()) return Usage(parsed.message());
    return std::move(parsed).value();
  }
  const int agents = args["agents"].as<int>();
  if (agents < 0 || agents > 250) return Usage("--agents must be 0-250");
  std::string resource_text = args["agent-resources"].as<std::string>();
  if (resource_text.empty()) resource_text = machine;
  auto resources = mlaunch::cluster::ParseResources(resource_text);
  if (!resources.ok()) return Usage(resources.message());
  auto attributes = mlaunch::cluster::ParseAttributes(args["agent-attributes"].as<std::string>());
  if (!attributes.ok()) return Usage(attributes.message());
  return std::vector<AgentShape>(static_cast<std::size_t>(agents),
                                 AgentShape{resources.value(), attributes.value()});
}

// --work-dir made absolute (and created), or a new temporary directory.
Result<std::string> WorkDir(const cxxopts::ParseResult& args) {
  std::string work_dir = args["work-dir"].as<std::string>();
  if (work_dir.empty()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mesos-launch-cluster.XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Status::Error(mlaunch::StatusCode::kUnavailable,
                           "cannot create a temporary work directory");
    }
    work_dir = pattern;
  } else {
    std::error_code error;
    std::filesystem::create_directories(work_dir, error);
    if (error) return Usage("cannot create --work-dir " + work_dir + ": " + error.message());
  }
  return std::filesystem::absolute(work_dir).string();
}

// Everything the flags say, checked.
Result<LocalCluster::Options> ClusterFlags(const cxxopts::ParseResult& args) {
  auto master = MasterFlags(args);
  if (!master.ok()) return master.status();
  auto agent = AgentFlags(args);
  if (!agent.ok()) return agent.status();
  auto work_dir = WorkDir(args);
  if (!work_dir.ok()) return work_dir.status();
  LocalCluster::Options cluster;
  cluster.work_dir = work_dir.value();
  const std::string machine = mlaunch::cluster::MachineResources(cluster.work_dir);
  auto shapes = AgentShapes(args, machine);
  if (!shapes.ok()) return shapes.status();
  cluster.master = std::move(master).value();
  cluster.agent = std::move(agent).value();
  cluster.agents = std::move(shapes).value();
  // Agents the registry has beyond those asked for keep the machine's size.
  cluster.extra_agent = AgentShape{mlaunch::cluster::ParseResources(machine).value(), {}};
  cluster.keep_registry = true;
  cluster.report = [](LocalCluster::Severity severity, const std::string& line) {
    switch (severity) {
      case LocalCluster::Severity::kInfo:
        return spdlog::info("{}", line);
      case LocalCluster::Severity::kWarning:
        return spdlog::warn("{}", line);
      case LocalCluster::Severity::kError:
        return spdlog::error("{}", line);
    }
  };
  return cluster;
}

// The master's part in a ZooKeeper election: the detector's session holds
// its node, and every change of leader tells the master how to act.
Result<std::unique_ptr<mlaunch::ZkDetector>> JoinElection(const mlaunch::ZooKeeperTarget& zk,
                                                          double session_timeout, Master* master) {
  std::string info_json;
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(master->master_info(), &info_json,
                                                    json_options);
  mlaunch::ZkDetectorOptions zk_options;
  zk_options.session_timeout = Seconds(session_timeout);
  zk_options.contend_with = info_json;
  return mlaunch::ZkDetector::Start(
      zk,
      [master](const mlaunch::Detection& detection) {
        // The master acts on it before the log says so (tests wait for the
        // line).
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
        master->SetLeadership(std::move(leadership));
        if (none) {
          spdlog::warn("election: {}", said);
        } else {
          spdlog::info("election: {}", said);
        }
      },
      zk_options);
}

// --zk, checked before anything starts; nullopt without it.
Result<std::optional<mlaunch::ZooKeeperTarget>> ElectionFlag(const cxxopts::ParseResult& args) {
  const double session_timeout = args["zk-session-timeout"].as<double>();
  if (!(session_timeout >= 0.1 && session_timeout <= 600)) {
    return Usage("--zk-session-timeout must be in [0.1, 600]");
  }
  if (!args.count("zk")) return std::optional<mlaunch::ZooKeeperTarget>();
  auto parsed = mlaunch::ParseMasterAddress(args["zk"].as<std::string>());
  if (!parsed.ok()) return Usage("--zk: " + parsed.message());
  if (!parsed.value().is_zookeeper()) return Usage("--zk: expected zk://HOST:PORT/path");
  return std::optional(std::get<mlaunch::ZooKeeperTarget>(parsed.value().target));
}

int Run(int argc, char** argv) {
  // Its agents may hold connections to many executors (common/file_limit.h).
  mlaunch::RaiseOpenFileLimit();
  cxxopts::Options options = FlagTable();
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
  auto zk = ElectionFlag(args);
  Result<LocalCluster::Options> flags =
      zk.ok() ? ClusterFlags(args) : Result<LocalCluster::Options>(zk.status());
  if (!flags.ok()) {
    std::cerr << "mesos-launch-cluster: " << flags.message() << "\n";
    return flags.status().code() == mlaunch::StatusCode::kInvalidData ? kUsage : kCannotStart;
  }
  const std::string work_dir = flags.value().work_dir;
  const std::string command_executor = (std::filesystem::path(flags.value().agent.launcher_dir) /
                                        mlaunch::cluster::kCommandExecutorName)
                                           .string();

  // Signals are taken by sigwait() below, never by a handler; the cluster's
  // threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto started = LocalCluster::Start(std::move(flags).value());
  if (!started.ok()) {
    spdlog::error("{}", started.message());
    return kCannotStart;
  }
  std::unique_ptr<LocalCluster> cluster = std::move(started).value();
  Master& master = cluster->master();
  spdlog::info("sandboxes under {}", work_dir);
  if (access(command_executor.c_str(), X_OK) != 0) {
    spdlog::warn(
        "no executable {}: command tasks (TaskInfo.command) will fail; give "
        "--launcher-dir the directory holding it",
        command_executor);
  }
  // Both lines in one write: a reader that stops after the first (and
  // closes the pipe) must not find a second write failing with SIGPIPE.
  std::cout << "master listening on " << master.url() << "\nstatus page: " << master.url() << "/"
            << std::endl;

  // The election, once the agents are in.
  std::unique_ptr<mlaunch::ZkDetector> election;
  if (zk.value()) {
    auto joined = JoinElection(*zk.value(), args["zk-session-timeout"].as<double>(), &master);
    if (!joined.ok()) {
      spdlog::error("cannot take part in the election: {}", joined.message());
      cluster->Stop();
      return kCannotStart;
    }
    election = std::move(joined).value();
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: stopping", signal_number);
  election.reset();  // leaves the election first
  // Executors first: every process group the agents started is killed.
  cluster->Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {  // a library failing: no memory, no threads
    std::cerr << "mesos-launch-cluster: " << e.what() << "\n";
    return kCannotStart;
  }
}

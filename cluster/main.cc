// mesos-launch-cluster: the embedded Mesos master (and, once they exist,
// its agents, one per loopback address from 127.0.0.2) on loopback. Wiring
// only: flags, the Master, the agents, signals.
//
// --tls-cert/--tls-key make the master serve HTTPS only; the agents' executor
// API stays plain HTTP on loopback (only executors reach it).
#include <signal.h>
#include <stdlib.h>
#include <sys/statvfs.h>

#include <cxxopts.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <algorithm>
#include <filesystem>

#include "cluster/agent.h"
#include "cluster/agent_spec.h"
#include "cluster/credentials_file.h"
#include "cluster/master_http.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

using mlaunch::cluster::LocalAgent;
using mlaunch::cluster::Master;

constexpr int kUsage = 64;

// The machine's size as Mesos' agent computes its default resources: all
// CPUs, memory less min(1 GB, half), disk of the work dir less min(5 GB,
// half), ports 31000-32000.
std::string MachineResources(const std::string& work_dir) {
  const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
  double mem_mb = 1024;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemTotal:") {
      mem_mb = kb / 1024;
      break;
    }
    meminfo.ignore(256, '\n');
  }
  mem_mb -= std::min(1024.0, mem_mb / 2);
  double disk_mb = 10000;
  struct statvfs fs {};
  if (statvfs(work_dir.c_str(), &fs) == 0) {
    disk_mb = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) / 1048576.0;
    disk_mb -= std::min(5120.0, disk_mb / 2);
  }
  return "cpus:" + std::to_string(cpus) + ";mem:" + std::to_string(static_cast<long>(mem_mb)) +
         ";disk:" + std::to_string(static_cast<long>(disk_mb)) + ";ports:[31000-32000]";
}

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options options("mesos-launch-cluster",
                           "A Mesos master and agents in one process, on loopback.");
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
      ("agent-attributes", "attributes of each agent, e.g. 'rack:r1'",
       cxxopts::value<std::string>()->default_value(""))
      ("credentials", "file of principal/secret pairs; then HTTP Basic auth is required",
       cxxopts::value<std::string>())
      ("allocation-interval", "seconds between allocations",
       cxxopts::value<double>()->default_value("1"))
      ("tls-cert", "PEM certificate chain: the master serves HTTPS (needs --tls-key)",
       cxxopts::value<std::string>())
      ("tls-key", "PEM private key of --tls-cert", cxxopts::value<std::string>())
      ("h,help", "show this help");
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
  const double registration_timeout = args["executor-registration-timeout"].as<double>();
  if (!(registration_timeout > 0)) {
    std::cerr << "mesos-launch-cluster: --executor-registration-timeout must be > 0\n";
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
  std::string resource_text = args["agent-resources"].as<std::string>();
  if (resource_text.empty()) resource_text = MachineResources(work_dir);
  auto resources = mlaunch::cluster::ParseResources(resource_text);
  auto attributes =
      mlaunch::cluster::ParseAttributes(args["agent-attributes"].as<std::string>());
  if (!resources.ok() || !attributes.ok()) {
    std::cerr << "mesos-launch-cluster: "
              << (resources.ok() ? attributes.message() : resources.message()) << "\n";
    return kUsage;
  }

  Master::Options master_options;
  if (args.count("tls-cert")) {
    master_options.tls_cert_file = args["tls-cert"].as<std::string>();
    master_options.tls_key_file = args["tls-key"].as<std::string>();
  }
  master_options.port = static_cast<std::uint16_t>(port);
  master_options.allocation_interval = static_cast<mlaunch::cluster::Millis>(allocation * 1000);
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
  std::vector<std::unique_ptr<LocalAgent>> agent_objects;
  for (int i = 0; i < agents; ++i) {
    LocalAgent::Options agent_options;
    agent_options.address = "127.0.0." + std::to_string(i + 2);
    agent_options.work_dir = work_dir;
    agent_options.registration_timeout = std::chrono::milliseconds(
        static_cast<std::int64_t>(registration_timeout * 1000));
    auto agent = LocalAgent::Start(agent_options);
    if (!agent.ok()) {
      spdlog::error("cannot start agent {}: {}", i, agent.message());
      for (auto& started_agent : agent_objects) started_agent->Stop();
      master->Stop();
      return 2;
    }
    agent_objects.push_back(std::move(agent).value());
    mesos::v1::AgentInfo info;
    info.set_hostname(agent_options.address);
    info.set_port(agent_objects.back()->port());
    for (const auto& r : resources.value()) *info.add_resources() = r;
    for (const auto& a : attributes.value()) *info.add_attributes() = a;
    const std::string id = agent_objects.back()->RegisterWith(*master, info);
    spdlog::info("agent {} on {} registered", id, agent_objects.back()->endpoint());
  }
  spdlog::info("sandboxes under {}", work_dir);
  std::cout << "master listening on " << master->url() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: stopping", signal_number);
  // Executors first: every process group the agents started is killed.
  for (auto& agent : agent_objects) agent->Stop();
  master->Stop();
  return 0;
}

// mesos-launch-cluster: the embedded Mesos master (and, once they exist,
// its agents) on loopback. Wiring only: flags, the Master, signals.
#include <signal.h>

#include <cxxopts.hpp>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cluster/agent_spec.h"
#include "cluster/credentials_file.h"
#include "cluster/master_http.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace {

using mlaunch::cluster::Agent;
using mlaunch::cluster::AgentRequest;
using mlaunch::cluster::Master;

constexpr int kUsage = 64;

// Until the agents of issue #4 land: accepts what the master sends and says
// so; tasks stay TASK_STAGING.
class LoggingAgent : public Agent {
 public:
  explicit LoggingAgent(std::string hostname) : hostname_(std::move(hostname)) {}
  void Handle(const AgentRequest& request) override {
    spdlog::warn("agent {}: request #{} received, but executors are not part of this build yet",
                 hostname_, request.index());
  }

 private:
  std::string hostname_;
};

}  // namespace

int main(int argc, char** argv) {
  cxxopts::Options options("mesos-launch-cluster",
                           "A Mesos master and agents in one process, on loopback.");
  options.add_options()
      ("port", "master port (0: any free one)", cxxopts::value<int>()->default_value("5050"))
      ("agents", "number of agents", cxxopts::value<int>()->default_value("1"))
      ("agent-resources", "resources of each agent, e.g. 'cpus:2;mem:2048;ports:[31000-31999]'",
       cxxopts::value<std::string>()->default_value(
           "cpus:2;mem:2048;disk:10000;ports:[31000-31999]"))
      ("agent-attributes", "attributes of each agent, e.g. 'rack:r1'",
       cxxopts::value<std::string>()->default_value(""))
      ("credentials", "file of principal/secret pairs; then HTTP Basic auth is required",
       cxxopts::value<std::string>())
      ("allocation-interval", "seconds between allocations",
       cxxopts::value<double>()->default_value("1"))
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
  auto resources = mlaunch::cluster::ParseResources(args["agent-resources"].as<std::string>());
  auto attributes =
      mlaunch::cluster::ParseAttributes(args["agent-attributes"].as<std::string>());
  if (!resources.ok() || !attributes.ok()) {
    std::cerr << "mesos-launch-cluster: "
              << (resources.ok() ? attributes.message() : resources.message()) << "\n";
    return kUsage;
  }

  Master::Options master_options;
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
  std::vector<std::unique_ptr<LoggingAgent>> agent_objects;
  for (int i = 0; i < agents; ++i) {
    mesos::v1::AgentInfo info;
    const std::string ip = "127.0.0." + std::to_string(i + 2);
    info.set_hostname(ip);
    for (const auto& r : resources.value()) *info.add_resources() = r;
    for (const auto& a : attributes.value()) *info.add_attributes() = a;
    agent_objects.push_back(std::make_unique<LoggingAgent>(ip));
    const std::string id = master->AddAgent(info, ip, agent_objects.back().get());
    spdlog::info("agent {} on {} registered", id, ip);
  }
  if (agents > 0) {
    spdlog::warn("agents do not run executors yet: launched tasks stay TASK_STAGING");
  }
  std::cout << "master listening on " << master->url() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: stopping", signal_number);
  master->Stop();
  return 0;
}

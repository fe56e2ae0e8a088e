#include "cluster/local_cluster.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/agent_spec.h"
#include "cluster/cluster_registry.h"
#include "tests/fakes/temp_dir.h"

namespace mlaunch::cluster {
namespace {

class LocalClusterTest : public ::testing::Test {
 protected:
  LocalCluster::Options Options(int agents) {
    LocalCluster::Options options;
    options.work_dir = temp_.path();
    options.master.port = 0;
    auto resources = ParseResources("cpus:1;mem:256");
    EXPECT_TRUE(resources.ok());
    options.agents.assign(static_cast<std::size_t>(agents), AgentShape{resources.value(), {}});
    options.extra_agent = AgentShape{resources.value(), {}};
    options.keep_registry = true;
    options.report = [this](LocalCluster::Severity, const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    };
    return options;
  }
  std::string Lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string all;
    for (const std::string& line : lines_) all += line + "\n";
    return all;
  }

  const mlaunch::testing::TempDir temp_{"local_cluster_test"};
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_F(LocalClusterTest, StartsItsAgentsOnTheirOwnAddressesAndRecordsThem) {
  auto started = LocalCluster::Start(Options(2));
  ASSERT_TRUE(started.ok()) << started.message();
  const auto& agents = started.value()->agents();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0]->endpoint().rfind("127.0.0.2:", 0), 0u) << agents[0]->endpoint();
  EXPECT_EQ(agents[1]->endpoint().rfind("127.0.0.3:", 0), 0u) << agents[1]->endpoint();
  auto registry = LoadRegistry(RegistryPath(temp_.path()));
  ASSERT_TRUE(registry.ok() && registry.value().has_value()) << registry.message();
  ASSERT_EQ(registry.value()->agents.size(), 2u);
  EXPECT_EQ(registry.value()->agents[1].address, "127.0.0.3");
  EXPECT_EQ(registry.value()->agents[1].port, agents[1]->port());
  EXPECT_NE(Lines().find(" on " + agents[0]->endpoint() + " registered"), std::string::npos)
      << Lines();
  started.value()->Stop();
  started.value()->Stop();  // idempotent
}

TEST_F(LocalClusterTest, AnUnreadableRegistryNamesTheWorkDirAndTheCause) {
  std::ofstream(RegistryPath(temp_.path())) << "{not json";
  auto started = LocalCluster::Start(Options(1));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.message().rfind("cannot restart from the work dir " + temp_.path() + ": ", 0),
            0u)
      << started.message();
}

TEST_F(LocalClusterTest, AnAgentThatCannotComeBackWhereItWasStopsTheStartSayingWhy) {
  // The recorded agent's port is held by someone else.
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.2", &address.sin_addr), 1);
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(holder, 1), 0);
  socklen_t size = sizeof address;
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &size), 0);
  const std::uint16_t port = ntohs(address.sin_port);
  ClusterRegistry registry;
  registry.agents.push_back({"M-S0", "127.0.0.2", port});
  ASSERT_TRUE(SaveRegistry(RegistryPath(temp_.path()), registry).ok());

  auto started = LocalCluster::Start(Options(1));
  ::close(holder);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(
      started.message().rfind("cannot start agent M-S0 again on 127.0.0.2:" + std::to_string(port) +
                                  " (as recorded in " + RegistryPath(temp_.path()) + "): ",
                              0),
      0u)
      << started.message();
}

}  // namespace
}  // namespace mlaunch::cluster

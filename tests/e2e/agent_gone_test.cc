// Fault #5 of issue #8: an agent removed from the cluster while tasks run.
// Two agents; the service's instances run; the operator marks the agent
// holding them gone (POST /api/v1 MARK_AGENT_GONE, as on a Mesos master).
// The launcher must get TASK_LOST with REASON_AGENT_REMOVED_BY_OPERATOR (it
// is not PARTITION_AWARE), place the instances on the other agent, where
// they serve; the gone agent's executors are killed.
#include <signal.h>

#include <iostream>
#include <map>
#include <regex>

#include "tests/e2e/fault_run.h"

namespace mlaunch::testing {
namespace {

constexpr int kInstances = 2;

// The `instances` instances serve, each at the address on `host` its last
// "serving" event says.
void ExpectEachServingOn(const std::vector<nlohmann::json>& events, const std::string& host,
                         int instances) {
  static const std::regex address(R"(http://([0-9.]+):([0-9]+)/)");
  std::map<std::string, std::string> latest;  // instance -> its last URL
  for (const auto& e : events) {
    if (e.value("kind", "") == "serving") latest[e["instance"]] = e["text"];
  }
  ASSERT_EQ(latest.size(), static_cast<std::size_t>(instances));
  for (const auto& [instance, text] : latest) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, address)) << text;
    EXPECT_EQ(m[1], host);
    auto got = HttpExchange(m[1], static_cast<std::uint16_t>(std::stoi(m[2])),
                            boost::beast::http::verb::get, "/");
    ASSERT_TRUE(got) << instance;
    EXPECT_EQ(got->body, "still serving");
  }
}

TEST_F(FaultRun, AgentMarkedGoneLosesItsTasksAndTheyAreReplacedOnTheOtherAgent) {
  // Two ports free on both agents' addresses.
  std::string ports;
  for (int i = 0; i < kInstances; ++i) {
    std::uint16_t port = FreePort("127.0.0.2");
    ports += (i ? "," : "") + std::to_string(port) + "-" + std::to_string(port);
  }
  const std::string url =
      StartCluster({"--agents", "2", "--allocation-interval", "0.05", "--agent-resources",
                    "cpus:2;mem:2048;disk:1000;ports:[" + ports + "]"});
  ASSERT_FALSE(url.empty());
  StartLauncher(url, WriteSpec(R"(version: 1
tasks:
  - name: web
    instances: 2
    resources: { cpus: 0.1, mem: 32 }
    ports: [{ name: http }]
    service: { type: http, port: http, payload: "still serving" }
    restart: { policy: always, backoff: { initial: 100ms } }
)"));
  auto serving = [&](const std::string& host) {
    int n = 0;
    for (const auto& e : Events()) {
      n += e.value("kind", "") == "serving" &&
           e.value("text", "").find("//" + host + ":") != std::string::npos;
    }
    return n;
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        return LiveTasks().size() == kInstances &&
               serving("127.0.0.2") + serving("127.0.0.3") == kInstances;
      },
      kWait))
      << LauncherOutput();

  // The agent with the most instances goes.
  auto state = State();
  ASSERT_TRUE(state);
  std::map<std::string, std::string> hostname;  // agent id -> address
  for (const auto& agent : (*state)["slaves"]) hostname[agent["id"]] = agent["hostname"];
  std::map<std::string, int> on_agent;
  for (const auto& task : LiveTasks()) on_agent[task["slave_id"]]++;
  std::string gone, other;
  for (const auto& [id, host] : hostname) {
    if (gone.empty() || on_agent[id] > on_agent[gone]) gone = id;
  }
  for (const auto& [id, host] : hostname) {
    if (id != gone) other = id;
  }
  const int moved = on_agent[gone];
  ASSERT_GE(moved, 1);
  const std::set<pid_t> gone_executors = ProcessesUnder(work_dir_ + "/slaves/" + gone);
  ASSERT_EQ(gone_executors.size(), static_cast<std::size_t>(moved));

  const std::string body = nlohmann::json{{"type", "MARK_AGENT_GONE"},
                                          {"mark_agent_gone", {{"agent_id", {{"value", gone}}}}}}
                               .dump();
  auto reply = HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::post, "/api/v1",
                            body, "application/json");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;

  // Each instance that was there: LOST, then placed on the other agent.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto live = LiveTasks();
        int there = 0;
        for (const auto& t : live) there += t["slave_id"] == other && t["state"] == "TASK_RUNNING";
        return live.size() == kInstances && there == kInstances &&
               serving(hostname[other]) == kInstances;
      },
      kWait))
      << LauncherOutput();
  int lost = 0;
  for (const auto& e : Events()) {
    const std::string text = e.value("text", "");
    if (text.rfind("LOST", 0) == 0) {
      ++lost;
      EXPECT_NE(text.find("agent removed by operator"), std::string::npos) << text;
    }
  }
  EXPECT_EQ(lost, moved) << LauncherOutput();
  EXPECT_NE(LauncherOutput().find("agent " + gone + " was lost"), std::string::npos);
  EXPECT_EQ(EventsSaying("web.0", "LAUNCHED").size() + EventsSaying("web.1", "LAUNCHED").size(),
            static_cast<std::size_t>(kInstances + moved));
  ExpectEachServingOn(Events(), hostname[other], kInstances);
  // The gone agent's executors were killed; the master lists only the other.
  EXPECT_TRUE(
      WaitUntil([&] { return ProcessesUnder(work_dir_ + "/slaves/" + gone).empty(); }, kWait));
  state = State();
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["slaves"].size(), 1u);
  EXPECT_EQ((*state)["slaves"][0]["id"], other);
  std::cout << moved << " of " << kInstances << " instances moved from " << hostname[gone] << " to "
            << hostname[other] << " and serve\n";

  StopCleanly();
}

// Mesos' registry remembers gone agents: the cluster started again over the
// same work dir does not bring the agent back, and gives no other agent
// its address.
TEST_F(FaultRun, AnAgentMarkedGoneStaysGoneWhenTheClusterStartsAgain) {
  const std::vector<std::string> flags = {"--agents", "2", "--agent-resources", "cpus:1;mem:256"};
  ASSERT_FALSE(StartCluster(flags).empty());
  auto state = State();
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["slaves"].size(), 2u);
  std::map<std::string, std::string> hostname;  // agent id -> address
  for (const auto& agent : (*state)["slaves"]) hostname[agent["id"]] = agent["hostname"];
  const std::string gone = (*state)["slaves"][0]["id"];
  const std::string kept = (*state)["slaves"][1]["id"];
  auto reply = HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::post, "/api/v1",
                            nlohmann::json{{"type", "MARK_AGENT_GONE"},
                                           {"mark_agent_gone", {{"agent_id", {{"value", gone}}}}}}
                                .dump(),
                            "application/json");
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  const nlohmann::json registry =
      nlohmann::json::parse(ReadFile(work_dir_ + "/registry.json"), nullptr, false);
  ASSERT_TRUE(registry.is_object()) << ReadFile(work_dir_ + "/registry.json");
  int marked = 0;
  for (const auto& agent : registry["agents"])
    marked += agent["id"] == gone && agent.value("gone", false);
  EXPECT_EQ(marked, 1) << registry.dump();

  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  ASSERT_EQ(ExitCode(cluster_), 0) << ReadFile(dir_ + "/cluster.err");
  cluster_ = -1;
  ASSERT_FALSE(StartCluster(flags).empty()) << ReadFile(dir_ + "/cluster.err");
  state = State();
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["slaves"].size(), 1u) << state->dump();
  EXPECT_EQ((*state)["slaves"][0]["id"], kept);
  EXPECT_EQ((*state)["slaves"][0]["hostname"], hostname[kept]);
  EXPECT_NE(
      ReadFile(dir_ + "/cluster.err")
          .find("agent " + gone + " on " + hostname[gone] + " was marked gone: not started again"),
      std::string::npos)
      << ReadFile(dir_ + "/cluster.err");

  // Asked for a third agent, it takes an address neither of the two had.
  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  ASSERT_EQ(ExitCode(cluster_), 0);
  cluster_ = -1;
  ASSERT_FALSE(StartCluster({"--agents", "3", "--agent-resources", "cpus:1;mem:256"}).empty());
  state = State();
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["slaves"].size(), 2u) << state->dump();
  for (const auto& agent : (*state)["slaves"]) {
    if (agent["id"] == kept) continue;
    EXPECT_NE(agent["hostname"], hostname[gone]);
    EXPECT_NE(agent["hostname"], hostname[kept]);
  }
  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  EXPECT_EQ(ExitCode(cluster_), 0);
  cluster_ = -1;
}

TEST_F(FaultRun, MarkingAnUnknownAgentGoneIsNotFound) {
  const std::string url = StartCluster({"--agents", "1", "--agent-resources", "cpus:1;mem:256"});
  ASSERT_FALSE(url.empty());
  auto reply =
      HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::post, "/api/v1",
                   R"({"type":"MARK_AGENT_GONE","mark_agent_gone":{"agent_id":{"value":"nope"}}})",
                   "application/json");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_EQ(reply->body, "Agent nope is not registered");
  // GET_FLAGS (type 2), a call of the operator API this master does not
  // serve: 501, naming those it does.
  reply = HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::post, "/api/v1",
                       std::string("\x08\x02", 2), "application/x-protobuf");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 501);
  EXPECT_NE(reply->body.find("GET_FLAGS is not served"), std::string::npos) << reply->body;
  EXPECT_NE(reply->body.find("GET_STATE"), std::string::npos) << reply->body;
  reply = HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::post, "/api/v1",
                       R"({"type":"MARK_AGENT_GONE"})", "application/json");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  EXPECT_NE(reply->body.find("mark_agent_gone.agent_id"), std::string::npos) << reply->body;
  reply = HttpExchange("127.0.0.1", master_port_, boost::beast::http::verb::post, "/api/v1",
                       "{not json", "application/json");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
  ASSERT_EQ(kill(cluster_, SIGTERM), 0);
  EXPECT_EQ(ExitCode(cluster_), 0);
  cluster_ = -1;
}

}  // namespace
}  // namespace mlaunch::testing

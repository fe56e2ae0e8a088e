// A restarted mesos-launch fails over to the tasks of the run before it
// (issue #5, Failover), end to end: a real mesos-launch-cluster, a real
// mesos-launch running a health-checked web service of a framework with a
// failover timeout, SIGKILLed once it serves, and started again with the
// same --state-dir. The second run re-subscribes with the same framework
// id, launches nothing, shows the instance where it runs and its URL again
// (from the state file: the master's reconciliation answer names neither
// host nor port), and the URL still answers; SIGINT then stops it cleanly.
#include <signal.h>

#include <filesystem>

#include "tests/e2e/fault_run.h"

namespace mlaunch::testing {
namespace {

TEST_F(FaultRun, ARestartedLauncherFailsOverToItsTaskAndServesItsUrlAgain) {
  const std::string port = std::to_string(FreePort("127.0.0.2"));
  const std::string url =
      StartCluster({"--agents", "1", "--agent-resources",
                    "cpus:2;mem:2048;disk:1000;ports:[" + port + "-" + port + "]"});
  ASSERT_FALSE(url.empty());
  const std::string spec = WriteSpec(R"(version: 1
framework: { name: failover-web, failover_timeout: 1h }
tasks:
  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [{ name: http }]
    service: { type: http, port: http, payload: "still here" }
    health_check: { type: http, port: http, path: /, interval: 1s, timeout: 1s }
)");
  const std::string serving = "http://127.0.0.2:" + port + "/";
  auto served = [&] {
    for (const auto& e : Events()) {
      if (e.value("kind", "") == "serving" && e.value("text", "") == serving) return true;
    }
    return false;
  };
  auto note = [&](const std::string& prefix) {
    for (const auto& e : Events()) {
      const std::string text = e.value("text", "");
      if (e.value("kind", "") == "note" && text.rfind(prefix, 0) == 0) return text;
    }
    return std::string();
  };

  // The first run: launched, healthy, serving.
  StartLauncher(url, spec);
  ASSERT_TRUE(WaitUntil(served, kWait)) << LauncherOutput();
  const std::string subscribed = note("subscribed framework=");
  ASSERT_FALSE(subscribed.empty()) << LauncherOutput();
  const std::string framework_id = subscribed.substr(std::string("subscribed framework=").size());
  EXPECT_EQ(EventsSaying("web.0", "LAUNCHED").size(), 1u) << LauncherOutput();
  auto reply = HttpExchange("127.0.0.2", static_cast<std::uint16_t>(std::stoi(port)),
                            boost::beast::http::verb::get, "/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "still here");

  // SIGKILL: no chance to stop anything, or to clear its state.
  ASSERT_EQ(kill(launcher_, SIGKILL), 0);
  EXPECT_EQ(ExitCode(launcher_), 128 + SIGKILL);
  launcher_ = -1;
  const std::string first_run = LauncherOutput();
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/state/failover-web.json")) << first_run;
  // Out of the way: Events() is to see the second run's events only.
  std::filesystem::rename(dir_ + "/launcher.out", dir_ + "/first-launcher.out");

  // The second run, same --state-dir.
  StartLauncher(url, spec);
  ASSERT_TRUE(WaitUntil(served, kWait)) << first_run << "--- second run ---\n" << LauncherOutput();
  EXPECT_EQ(note("failing over to framework "),
            "failing over to framework " + framework_id + " (1 known task)")
      << LauncherOutput();
  EXPECT_EQ(note("subscribed framework="), "subscribed framework=" + framework_id)
      << LauncherOutput();
  EXPECT_TRUE(EventsSaying("web.0", "LAUNCHED").empty()) << "a duplicate\n" << LauncherOutput();
  const auto running = EventsSaying("web.0", "RUNNING on ");
  ASSERT_EQ(running.size(), 1u) << LauncherOutput();
  // The master's reconciliation answer repeats the latest health, as Mesos'
  // does: the task was healthy (it served) before the SIGKILL.
  EXPECT_EQ(running[0].value("text", ""), "RUNNING on 127.0.0.2, healthy");

  // The master: one framework, one task, running.
  std::optional<nlohmann::json> state = State();
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["frameworks"].size(), 1u) << state->dump();
  const auto& framework = (*state)["frameworks"][0];
  EXPECT_EQ(framework.value("id", ""), framework_id);
  ASSERT_EQ(framework["tasks"].size(), 1u) << state->dump();
  EXPECT_EQ(framework["tasks"][0].value("state", ""), "TASK_RUNNING");
  reply = HttpExchange("127.0.0.2", static_cast<std::uint16_t>(std::stoi(port)),
                       boost::beast::http::verb::get, "/");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->body, "still here");

  StopCleanly();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/state/failover-web.json"))
      << "torn down, yet its state is kept";
}

}  // namespace
}  // namespace mlaunch::testing

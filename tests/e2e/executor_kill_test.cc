// Fault #4 of issue #8: the executor of a running service SIGKILLed
// kKills times, on mesos-launch-cluster. Each time the launcher hears
// FAILED, waits out its restart policy's backoff (exponential, capped) and
// launches the instance again, and never two at once: the launcher's own
// events (with its clock) and the master's state are checked every cycle.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "tests/e2e/fault_run.h"

namespace mlaunch::testing {
namespace {

constexpr int kKills = 50;
// The spec's backoff: 100ms, 150ms, 225ms, then 300ms each time.
constexpr double kInitialMs = 100, kFactor = 1.5, kMaxMs = 300;

std::int64_t Ms(const nlohmann::json& event) {
  return std::llround(event.value("time", 0.0) * 1000.0);
}

// What the launcher's events of web.0 showed.
struct Sequence {
  int relaunches = 0;
  std::string expected = "LAUNCHED";  // the event due next
  std::int64_t starting = 0;          // ms from LAUNCHED to RUNNING, summed
  std::int64_t waiting = 0;           // ms from "restarting in" to LAUNCHED, summed
};

// The events of web.0 come as LAUNCHED, RUNNING, FAILED, "restarting in",
// LAUNCHED ... in this order, each relaunch no earlier than its backoff.
void FollowSequence(const std::vector<nlohmann::json>& events, const std::string& output,
                    Sequence* seen) {
  std::int64_t restart_at = 0, launched_at = 0;
  for (const auto& e : events) {
    if (e.value("instance", "") != "web.0" || e.value("kind", "") != "instance") continue;
    const std::string text = e.value("text", "");
    ASSERT_EQ(text.rfind(seen->expected, 0), 0u)
        << "got '" << text << "' where " << seen->expected << " was due\n"
        << output;
    if (seen->expected == "LAUNCHED") {
      if (restart_at > 0) {
        const int n = ++seen->relaunches;
        const double wanted = std::min(kInitialMs * std::pow(kFactor, n - 1), kMaxMs);
        EXPECT_GE(Ms(e) - restart_at, static_cast<std::int64_t>(wanted))
            << "relaunch " << n << " came before its backoff";
        seen->waiting += Ms(e) - restart_at;
      }
      launched_at = Ms(e);
      seen->expected = "RUNNING";
    } else if (seen->expected == "RUNNING") {
      seen->starting += Ms(e) - launched_at;
      seen->expected = "FAILED";
    } else if (seen->expected == "FAILED") {
      EXPECT_NE(text.find("executor terminated"), std::string::npos) << text;
      seen->expected = "restarting in";
    } else {
      EXPECT_NE(text.find("(attempt " + std::to_string(seen->relaunches + 1) + ","),
                std::string::npos)
          << text;
      restart_at = Ms(e);
      seen->expected = "LAUNCHED";
    }
  }
}

TEST_F(FaultRun, ExecutorSigkilledFiftyTimesIsRelaunchedAfterItsBackoffEachTime) {
  const std::string port = std::to_string(FreePort("127.0.0.2"));
  const std::string url =
      StartCluster({"--agents", "1", "--allocation-interval", "0.05", "--agent-resources",
                    "cpus:2;mem:2048;disk:1000;ports:[" + port + "-" + port + "]"});
  ASSERT_FALSE(url.empty());
  StartLauncher(url, WriteSpec(R"(version: 1
tasks:
  - name: web
    resources: { cpus: 0.1, mem: 32 }
    ports: [{ name: http }]
    service: { type: http, port: http, payload: "alive" }
    restart:
      policy: always
      max_attempts: 0
      backoff: { initial: 100ms, factor: 1.5, max: 300ms }
)"));

  const auto started = std::chrono::steady_clock::now();
  std::size_t most_live_tasks = 0, most_executors = 0;
  pid_t killed = -1;
  for (int cycle = 1; cycle <= kKills + 1; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    // The cycle-th launch runs, in a new executor process.
    pid_t executor = -1;
    ASSERT_TRUE(WaitUntil(
        [&] {
          const std::set<pid_t> executors = ProcessesUnder(work_dir_);
          most_executors = std::max(most_executors, executors.size());
          most_live_tasks = std::max(most_live_tasks, LiveTasks().size());
          if (EventsSaying("web.0", "RUNNING").size() != static_cast<std::size_t>(cycle) ||
              executors.size() != 1 || executors.count(killed) > 0) {
            return false;
          }
          executor = *executors.begin();
          return true;
        },
        kWait))
        << LauncherOutput();
    auto reply = HttpExchange("127.0.0.2", static_cast<std::uint16_t>(std::stoi(port)),
                              boost::beast::http::verb::get, "/");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->body, "alive");
    if (cycle == kKills + 1) break;
    std::error_code error;
    const std::filesystem::path sandbox =
        std::filesystem::read_symlink("/proc/" + std::to_string(executor) + "/cwd", error);
    ASSERT_EQ(kill(executor, SIGKILL), 0);
    killed = executor;
    // Its sandbox keeps its logs; the copy of the executor fetched into it
    // goes, or 50 copies of an ASan build's executor would take 7 GB.
    if (!error) std::filesystem::remove(sandbox / "mesos-launch-executor", error);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  Sequence seen;
  FollowSequence(Events(), LauncherOutput(), &seen);
  const int relaunches = seen.relaunches;
  EXPECT_EQ(relaunches, kKills);
  EXPECT_EQ(seen.expected, "FAILED");  // the last launch still runs
  EXPECT_EQ(most_executors, 1u) << "two executors of one instance at once";
  EXPECT_EQ(most_live_tasks, 1u) << "two live tasks of one instance at once";
  std::cout << kKills << " executor SIGKILLs survived, " << relaunches
            << " relaunches each after its backoff, in " << took.count() << " ms (mean "
            << seen.waiting / std::max(1, relaunches) << " ms from FAILED to LAUNCHED, "
            << seen.starting / (relaunches + 1) << " ms from LAUNCHED to RUNNING)\n";

  StopCleanly();
}

}  // namespace
}  // namespace mlaunch::testing

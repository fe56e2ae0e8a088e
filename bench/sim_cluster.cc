// A cluster for scale benchmarks only (bench/sim_scale.sh), not a mode of
// any program people run: the embedded master (cluster::Master, real HTTP,
// Mesos' 1 s allocation interval) with AGENTS agents that run nothing. Each
// agent answers a launch with TASK_STARTING then TASK_RUNNING, a kill with
// TASK_KILLED, as an executor would, from one thread shared by all (the
// master calls Handle() under its lock). So mesos-launch and the master are
// measured at sizes no machine could run as processes.
//
// Prints "master listening on URL", serves until SIGINT or SIGTERM, then
// prints "tasks launched: N, killed: K, updates sent: U" and exits.
//
// Usage: sim_cluster [AGENTS=1000] [RESOURCES="cpus:32;mem:65536;ports:[20000-29999]"]
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "cluster/agent_spec.h"
#include "cluster/master_http.h"

namespace {

namespace v1 = mesos::v1;
using mlaunch::cluster::AgentRequest;

class StandInAgents : public mlaunch::cluster::Agent {
 public:
  StandInAgents() : worker_([this] { Work(); }) {}
  ~StandInAgents() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
  }
  void Attach(mlaunch::cluster::Master* master) { master_ = master; }

  void Handle(const AgentRequest& request) override {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_.push_back(request);
    wake_.notify_all();
  }

  void Report() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::printf("tasks launched: %zu, killed: %zu, updates sent: %zu\n", launched_, killed_,
                updates_);
  }

 private:
  struct Running {
    std::string agent_id;
    std::string framework_id;
  };

  void Send(const std::string& agent_id, const std::string& framework_id, const v1::TaskID& task,
            v1::TaskState state) {
    v1::TaskStatus status;
    *status.mutable_task_id() = task;
    status.set_state(state);
    status.set_source(v1::TaskStatus::SOURCE_EXECUTOR);
    status.mutable_agent_id()->set_value(agent_id);
    // A version 4 UUID, as an executor's, unique per update.
    std::string uuid(16, '\0');
    const std::uint64_t n = ++uuids_;
    std::memcpy(uuid.data(), &n, sizeof n);
    uuid[6] = static_cast<char>(0x40);
    uuid[8] = static_cast<char>(0x80);
    status.set_uuid(uuid);
    master_->StatusUpdate(agent_id, framework_id, status);
  }

  void Work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      AgentRequest request = std::move(pending_.front());
      pending_.pop_front();
      std::vector<std::pair<Running, v1::TaskID>> started, ended;
      if (const auto* launch = std::get_if<mlaunch::cluster::LaunchTasks>(&request)) {
        for (const v1::TaskInfo& task : launch->tasks) {
          Running where{launch->agent_id, launch->framework.id().value()};
          running_[task.task_id().value()] = where;
          started.emplace_back(where, task.task_id());
          ++launched_;
        }
      } else if (const auto* kill = std::get_if<mlaunch::cluster::KillTask>(&request)) {
        auto it = running_.find(kill->task_id.value());
        if (it != running_.end()) {
          ended.emplace_back(it->second, kill->task_id);
          running_.erase(it);
          ++killed_;
        }
      } else if (const auto* shutdown =
                     std::get_if<mlaunch::cluster::ShutdownFramework>(&request)) {
        for (auto it = running_.begin(); it != running_.end();) {
          if (it->second.framework_id != shutdown->framework_id ||
              it->second.agent_id != shutdown->agent_id) {
            ++it;
            continue;
          }
          v1::TaskID id;
          id.set_value(it->first);
          ended.emplace_back(it->second, id);
          it = running_.erase(it);
          ++killed_;
        }
      }
      updates_ += 2 * started.size() + ended.size();
      lock.unlock();
      for (const auto& [where, id] : started) {
        Send(where.agent_id, where.framework_id, id, v1::TASK_STARTING);
        Send(where.agent_id, where.framework_id, id, v1::TASK_RUNNING);
      }
      for (const auto& [where, id] : ended) {
        Send(where.agent_id, where.framework_id, id, v1::TASK_KILLED);
      }
      lock.lock();
    }
  }

  mlaunch::cluster::Master* master_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<AgentRequest> pending_;
  std::map<std::string, Running> running_;  // by task id
  std::size_t launched_ = 0, killed_ = 0, updates_ = 0;
  std::uint64_t uuids_ = 0;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once everything above exists
};

}  // namespace

int main(int argc, char** argv) {
  const int agents = argc > 1 ? std::atoi(argv[1]) : 1000;
  const std::string resources_text = argc > 2 ? argv[2] : "cpus:32;mem:65536;ports:[20000-29999]";
  auto resources = mlaunch::cluster::ParseResources(resources_text);
  if (agents < 1 || !resources.ok()) {
    std::fprintf(stderr, "usage: sim_cluster [AGENTS>=1] [RESOURCES]\n");
    return 64;
  }
  // Blocked before any thread starts, so that only sigwait() takes them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  mlaunch::cluster::Master::Options options;  // allocation every 1 s, as Mesos
  options.max_connections = 1024;
  auto started = mlaunch::cluster::Master::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "sim_cluster: %s\n", started.message().c_str());
    return 1;
  }
  std::unique_ptr<mlaunch::cluster::Master> master = std::move(started).value();
  StandInAgents stand_in;
  stand_in.Attach(master.get());
  for (int a = 0; a < agents; ++a) {
    v1::AgentInfo info;
    info.set_hostname("sim-" + std::to_string(a));
    info.set_port(5051);
    for (const v1::Resource& r : resources.value()) *info.add_resources() = r;
    master->AddAgent(info, "127.0.0.1", &stand_in);
  }
  std::printf("%d stand-in agents\nmaster listening on %s\n", agents, master->url().c_str());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  master->Stop();
  stand_in.Report();
  return 0;
}

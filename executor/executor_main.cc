#include "executor/executor_main.h"

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/random_ids.h"
#include "executor/agent_client.h"
#include "executor/services/checksum.h"
#include "executor/services/command_service.h"
#include "executor/services/health_check.h"
#include "executor/services/http_service.h"

namespace mlaunch::executor {

namespace v1exec = mesos::v1::executor;

std::optional<SteadyMillis> ParseMesosDuration(const std::string& text) {
  size_t end = 0;
  double value;
  try {
    value = std::stod(text, &end);
  } catch (...) {
    return std::nullopt;
  }
  if (value < 0) return std::nullopt;
  std::string unit = text.substr(end);
  static const std::pair<const char*, double> kUnits[] = {
      {"ns", 1e-6},
      {"us", 1e-3},
      {"ms", 1},
      {"secs", 1000},
      {"mins", 60 * 1000},
      {"hrs", 3600 * 1000},
      {"days", 86400 * 1000.0},
      {"weeks", 7 * 86400 * 1000.0},
  };
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) return static_cast<SteadyMillis>(value * factor);
  }
  return std::nullopt;
}

namespace {

using Clock = std::chrono::steady_clock;

class Loop {
 public:
  Loop(const AgentConfig& config, ExecutorOptions options, HttpClient& http, LoopOptions loop)
      : config_(config),
        loop_(loop),
        http_(http),
        core_(config, std::move(options)),
        client_(http, config.agent, Callbacks()),
        start_(Clock::now()) {}

  int Run() {
    if (loop_.shutdown_on_signals) WatchSignals();
    Apply(core_.Connected(Now()));
    while (!exit_code_) {
      std::function<Actions(SteadyMillis)> work;
      {
        // Asleep until work is posted or the core or a reconnection has
        // something due: an idle executor does not wake at all.
        std::optional<SteadyMillis> due = core_.NextDeadline();
        if (reconnect_at_) due = due ? std::min(*due, *reconnect_at_) : *reconnect_at_;
        std::unique_lock<std::mutex> lock(mutex_);
        auto posted = [&] { return !queue_.empty(); };
        if (due) {
          wake_.wait_until(lock, start_ + std::chrono::milliseconds(*due), posted);
        } else {
          wake_.wait(lock, posted);
        }
        if (!queue_.empty()) {
          work = std::move(queue_.front());
          queue_.pop_front();
        }
      }
      if (work) Apply(work(Now()));
      SteadyMillis now = Now();
      if (!exit_code_ && reconnect_at_ && now >= *reconnect_at_) {
        reconnect_at_.reset();
        Apply(core_.Connected(now));
      }
      if (!exit_code_) {
        std::optional<SteadyMillis> due = core_.NextDeadline();
        if (due && now >= *due) Apply(core_.Tick(now));
      }
    }
    Shutdown();
    return *exit_code_;
  }

 private:
  struct Service {
    ServiceConfig config;
    std::unique_ptr<HttpService> http;
    std::unique_ptr<CommandService> command;
    mesos::v1::HealthCheck check;
  };

  // A thread of its own takes SIGTERM/SIGINT (blocked everywhere) and posts
  // a SHUTDOWN; detached, as the process ends with the loop.
  void WatchSignals() {
    std::thread([this] {
      sigset_t signals;
      sigemptyset(&signals);
      sigaddset(&signals, SIGTERM);
      sigaddset(&signals, SIGINT);
      int signal = 0;
      while (sigwait(&signals, &signal) == 0) {
        Post([this, signal](SteadyMillis now) {
          std::cerr << "mesos-launch-executor: " << strsignal(signal) << ": shutting down\n";
          v1exec::Event shutdown;
          shutdown.set_type(v1exec::Event::SHUTDOWN);
          return core_.Handle(shutdown, now);
        });
      }
    }).detach();
  }

  SteadyMillis Now() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
  }

  void Post(std::function<Actions(SteadyMillis)> work) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(work));
    wake_.notify_one();
  }

  AgentClient::Callbacks Callbacks() {
    AgentClient::Callbacks callbacks;
    callbacks.on_event = [this](const v1exec::Event& event) {
      Post([this, event](SteadyMillis now) { return core_.Handle(event, now); });
    };
    callbacks.on_disconnected = [this](const std::string& why) {
      Post([this, why](SteadyMillis now) {
        std::cerr << "mesos-launch-executor: disconnected from the agent: " << why << "\n";
        reconnect_at_ = now + loop_.reconnect_delay;
        return core_.Disconnected(now);
      });
    };
    return callbacks;
  }

  void Apply(Actions actions) {
    for (const v1exec::Call& call : actions.calls) {
      if (call.type() == v1exec::Call::SUBSCRIBE) {
        client_.Subscribe(call);
        continue;
      }
      Status sent = client_.Send(call);
      if (!sent.ok()) std::cerr << "mesos-launch-executor: " << sent.message() << "\n";
    }
    for (auto& [task, config] : actions.start) StartService(task, config);
    for (const std::string& id : actions.stop) StopService(id, /*force=*/false);
    for (const std::string& id : actions.force_stop) StopService(id, /*force=*/true);
    for (const std::string& id : actions.run_check) RunCheck(id);
    if (actions.exit_code && !exit_code_) exit_code_ = actions.exit_code;
  }

  void StartService(const mesos::v1::TaskInfo& task, const ServiceConfig& config) {
    const std::string& id = task.task_id().value();
    Service service;
    service.config = config;
    service.check = task.health_check();
    std::string error;
    if (Status verified = VerifyChecksums(config, config_.sandbox); !verified.ok()) {
      error = verified.message();
    } else if (config.has_http()) {
      double cpus = 0;
      for (const mesos::v1::Resource& r : task.resources()) {
        if (r.name() == "cpus" && r.has_scalar()) cpus += r.scalar().value();
      }
      auto http = HttpService::Start(config, ListenAddressFor(config_.agent.endpoint),
                                     config_.sandbox, HttpThreadsForCpus(cpus));
      if (http.ok()) {
        service.http = std::move(http.value());
      } else {
        error = http.message();
      }
    } else {
      auto command = CommandService::Start(
          config, config_.sandbox, [this, id](std::optional<int> code, std::optional<int> signal) {
            Post([this, id, code, signal](SteadyMillis now) {
              services_.erase(id);  // joins the reaper, which has reported
              return core_.Exited(id, code, signal, now);
            });
          });
      if (command.ok()) {
        service.command = std::move(command.value());
      } else {
        error = command.message();
      }
    }
    if (!error.empty()) {
      Apply(core_.FailedToStart(id, error, Now()));
      return;
    }
    services_[id] = std::move(service);
    Apply(core_.Started(id, Now()));
  }

  void StopService(const std::string& id, bool force) {
    auto it = services_.find(id);
    if (it == services_.end()) return;
    Service& service = it->second;
    if (service.command) {
      int signal = SIGKILL;
      if (!force) signal = SignalNumber(service.config.kill_signal()).value_or(SIGTERM);
      service.command->Signal(signal);
      return;  // its exit is reported by the reaper
    }
    // The HTTP service stops at once, whatever the grace.
    service.http->Stop();
    services_.erase(it);
    Apply(core_.Exited(id, 0, std::nullopt, Now()));
  }

  void RunCheck(const std::string& id) {
    auto it = services_.find(id);
    if (it == services_.end()) return;
    mesos::v1::HealthCheck check = it->second.check;
    std::string host = ListenAddressFor(config_.agent.endpoint);
    if (host == "0.0.0.0") host = "127.0.0.1";
    std::string sandbox = config_.sandbox;
    // Finished runners are joined as new ones start.
    std::erase_if(checks_, [](Check& c) {
      if (!*c.done) return false;
      c.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    checks_.push_back({std::thread([this, id, check, host, sandbox, done] {
                         CheckOutcome outcome = RunHealthCheck(check, host, sandbox, http_);
                         *done = true;
                         Post([this, id, outcome](SteadyMillis now) {
                           return core_.CheckResult(id, outcome.healthy, outcome.detail, now);
                         });
                       }),
                       done});
  }

  void Shutdown() {
    client_.Stop();
    for (auto& [id, service] : services_) {
      if (service.http) service.http->Stop();
    }
    services_.clear();  // commands: SIGKILL to the group, then reaped
    for (Check& check : checks_) check.thread.join();
  }

  AgentConfig config_;
  LoopOptions loop_;
  HttpClient& http_;  // the agent client's too; also for HTTP health checks
  ExecutorCore core_;
  AgentClient client_;
  const Clock::time_point start_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<Actions(SteadyMillis)>> queue_;

  std::map<std::string, Service> services_;  // by task id
  struct Check {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Check> checks_;
  std::optional<SteadyMillis> reconnect_at_;
  std::optional<int> exit_code_;
};

}  // namespace

int RunExecutor(const AgentConfig& config, ExecutorOptions options, HttpClient& http,
                LoopOptions loop) {
  if (!options.new_uuid) options.new_uuid = NewUuidBytes;
  Loop executor(config, std::move(options), http, loop);
  return executor.Run();
}

}  // namespace mlaunch::executor

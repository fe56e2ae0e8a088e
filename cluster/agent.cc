#include "cluster/agent.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <unordered_set>

#include "cluster/agent_checkpoint.h"
#include "cluster/agent_environment.h"
#include "cluster/agent_process.h"
#include "cluster/command_executor.h"
#include "cluster/fetch.h"
#include "cluster/files_http.h"
#include "cluster/http_rules.h"
#include "cluster/json_proto.h"
#include "cluster/orphan_guard.h"
#include "cluster/port_leases.h"
#include "cluster/read_call.h"
#include "cluster/rule_table.h"
#include "common/json_text.h"
#include "common/random_ids.h"
#include "common/recordio.h"

namespace mlaunch::cluster {

using mesos::v1::TaskState;
using mesos::v1::TaskStatus;
using mesos::v1::executor::Call;
using mesos::v1::executor::Event;
using Clock = std::chrono::steady_clock;

namespace {

// A descriptor that becomes readable when process `pid` ends; -1 when
// there is no such process.
int OpenPidfd(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

std::string Encode(const Event& event, bool json) {
  return RecordIOEncode(json ? JsonText(ProtoToJson(event)) : event.SerializeAsString());
}

// The ACKNOWLEDGED events of one executor call, written to its stream once
// the master has the updates and, when a checkpoint of them is queued, once
// it is on disk, whichever comes last: an update the executor saw
// acknowledged is lost by neither, and one it did not is sent again when
// it subscribes again.
class Acknowledgements : public std::enable_shared_from_this<Acknowledgements> {
 public:
  Acknowledgements(std::shared_ptr<ResponseStream> stream, bool json, std::vector<Event> events)
      : stream_(std::move(stream)), json_(json), events_(std::move(events)) {}

  // Waits also for what `queue` queues, when it does: it is given the
  // callback to run once done and returns whether it will run.
  template <typename Queue>
  void AlsoAfter(Queue queue) {
    Hold();
    if (!queue([self = shared_from_this()] { self->Release(); })) Release();
  }
  // One of the things waited for is done (the first: the master has them).
  void Release() {
    std::vector<Event> events;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--holds_ > 0) return;
      events.swap(events_);
    }
    if (!stream_) return;
    for (const Event& event : events) stream_->Write(Encode(event, json_));
  }

 private:
  void Hold() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++holds_;
  }

  const std::shared_ptr<ResponseStream> stream_;
  const bool json_;
  std::mutex mutex_;
  int holds_ = 1;  // the master's
  std::vector<Event> events_;
};

// What the agent requires of an executor's call before it looks at the
// executor (rule_table.h); a broken rule is answered 400.
const Rule<Call> kExecutorCallRules[] = {
    {"type",
     [](const Call& call) -> std::optional<std::string> {
       if (call.has_type()) return std::nullopt;
       return "the call has no type";
     }},
    {"parameters",
     [](const Call& call) -> std::optional<std::string> {
       const bool missing = (call.type() == Call::SUBSCRIBE && !call.has_subscribe()) ||
                            (call.type() == Call::UPDATE && !call.has_update()) ||
                            (call.type() == Call::MESSAGE && !call.has_message());
       if (!missing) return std::nullopt;
       std::string field = Call::Type_Name(call.type());
       std::transform(field.begin(), field.end(), field.begin(), [](char c) {
         return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
       });
       return "a " + Call::Type_Name(call.type()) + " call carries its parameters in '" + field +
              "', which is missing";
     }},
    {"uuid",
     [](const Call& call) -> std::optional<std::string> {
       // The framework could never acknowledge an update without a uuid
       // (its ACKNOWLEDGE would be refused), so the agent takes none.
       if (call.type() != Call::UPDATE || IsVersionedUuid(call.update().status().uuid())) {
         return std::nullopt;
       }
       return std::string("an update needs a uuid (16 bytes with an RFC 4122 version)");
     }},
    {"source",
     [](const Call& call) -> std::optional<std::string> {
       if (call.type() != Call::UPDATE ||
           call.update().status().source() == TaskStatus::SOURCE_EXECUTOR) {
         return std::nullopt;
       }
       return "an executor's update has source SOURCE_EXECUTOR, not " +
              TaskStatus::Source_Name(call.update().status().source());
     }},
    {"not-staging",
     [](const Call& call) -> std::optional<std::string> {
       if (call.type() != Call::UPDATE ||
           call.update().status().state() != mesos::v1::TASK_STAGING) {
         return std::nullopt;
       }
       return std::string("TASK_STAGING is the agent's to report, not an executor's");
     }},
    {"same-executor",
     [](const Call& call) -> std::optional<std::string> {
       const TaskStatus& status = call.update().status();
       if (call.type() != Call::UPDATE || !status.has_executor_id() ||
           status.executor_id().value() == call.executor_id().value()) {
         return std::nullopt;
       }
       return "the update names executor " + status.executor_id().value() +
              " but the call comes from executor " + call.executor_id().value();
     }},
};

}  // namespace

struct LocalAgent::Executor {
  struct Task {
    mesos::v1::TaskInfo info;
    TaskState state = mesos::v1::TASK_STAGING;
  };
  mesos::v1::FrameworkInfo framework;
  mesos::v1::ExecutorInfo info;
  std::string container_id;
  std::string sandbox;
  std::string container;  // its podman container's name, when it runs in an image
  // The container's first process, guarded as the executor's group is (a
  // SIGKILL of `podman run` does not reach it). -1: none.
  pid_t container_pid = -1;
  pid_t pid = -1;
  std::uint64_t start_time = 0;  // of the process, from /proc
  // Recovered after a restart: no child of ours, watched through a pidfd
  // (-1 when it was found dead).
  bool recovered = false;
  int pidfd = -1;
  std::optional<Clock::time_point> reregistration_deadline;
  bool subscribed = false;
  bool shutting_down = false;
  std::shared_ptr<ResponseStream> stream;
  bool json = false;
  Clock::time_point registration_deadline;
  std::optional<Clock::time_point> kill_deadline;
  std::vector<std::string> queued;    // task ids waiting for SUBSCRIBE
  std::map<std::string, Task> tasks;  // by task id
  std::set<std::string> seen_uuids;   // updates already forwarded
  std::vector<PortLease> leases;      // its tasks' ports, until it ends

  void Send(const Event& event) {
    if (stream) stream->Write(Encode(event, json));
  }
};

// What to tell the master once the agent's lock is released.
struct LocalAgent::Work {
  std::vector<std::pair<std::string, TaskStatus>> updates;
  struct Terminated {
    std::string framework_id;
    mesos::v1::ExecutorID executor_id;
    int wait_status;
  };
  std::vector<Terminated> terminated;
  bool recovery_over = false;
  std::vector<std::string> sandboxes_to_remove;  // removed without the lock
};

namespace {

// The part of the filesystem holding `dir` that is in use, 0..1 (0 when it
// cannot be told).
double DiskUse(const std::string& dir) {
  struct statvfs fs {};
  if (statvfs(dir.c_str(), &fs) != 0 || fs.f_blocks == 0) return 0;
  return 1.0 - static_cast<double>(fs.f_bavail) / static_cast<double>(fs.f_blocks);
}

// Removes a run's sandbox, and its executor's directory when that run was
// the executor's latest (nothing of it is left to read).
void RemoveSandbox(const std::string& sandbox) {
  const std::filesystem::path run(sandbox);
  const std::filesystem::path runs = run.parent_path();
  std::error_code error;
  const bool latest = std::filesystem::read_symlink(runs / "latest", error) == run.filename();
  std::filesystem::remove_all(latest && !error ? runs.parent_path() : run, error);
}

TaskStatus AgentStatus(const mesos::v1::AgentInfo& agent, const std::string& task_id,
                       const mesos::v1::ExecutorID* executor_id, TaskState state,
                       TaskStatus::Reason reason, const std::string& message) {
  TaskStatus status;
  status.mutable_task_id()->set_value(task_id);
  status.set_state(state);
  status.set_reason(reason);
  status.set_message(message);
  status.set_source(TaskStatus::SOURCE_AGENT);
  if (agent.has_id()) *status.mutable_agent_id() = agent.id();
  if (executor_id != nullptr) *status.mutable_executor_id() = *executor_id;
  status.set_uuid(NewUuidBytes());
  status.set_timestamp(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  return status;
}

// Made by the agent for a command task: its task has TaskInfo.command.
bool IsCommandExecutor(const LocalAgent::Executor& executor) {
  return std::any_of(executor.tasks.begin(), executor.tasks.end(),
                     [](const auto& task) { return task.second.info.has_command(); });
}

// Fails every task of `executor` not yet terminal.
void FailOpenTasks(const mesos::v1::AgentInfo& agent, LocalAgent::Executor& executor,
                   TaskStatus::Reason reason, const std::string& message, LocalAgent::Work& work) {
  for (auto& [id, task] : executor.tasks) {
    if (IsTerminal(task.state)) continue;
    task.state = mesos::v1::TASK_FAILED;
    work.updates.emplace_back(executor.framework.id().value(),
                              AgentStatus(agent, id, &executor.info.executor_id(),
                                          mesos::v1::TASK_FAILED, reason, message));
  }
  executor.queued.clear();
}

}  // namespace

Result<std::unique_ptr<LocalAgent>> LocalAgent::Start(Options options) {
  std::unique_ptr<LocalAgent> agent(new LocalAgent(std::move(options)));
  if (agent->options_.authenticate_executors) {
    std::error_code ignored;  // Open says what is wrong with the directory
    std::filesystem::create_directories(agent->options_.work_dir, ignored);
    auto tokens = ExecutorTokens::Open(
        (std::filesystem::path(agent->options_.work_dir) / "executor_secret_key").string());
    if (!tokens.ok()) return tokens.status();
    agent->tokens_ = std::move(tokens).value();
  }
  if (!agent->options_.agent_id.empty()) {
    if (Status recovered = agent->Recover(); !recovered.ok()) return recovered;
  }
  // Containers this work dir's agent left running when it ended without
  // stopping them: executors in images are not recovered (their `podman
  // run` ended or will end with them).
  if (std::filesystem::exists(std::filesystem::path(agent->options_.work_dir) /
                              "containers.conf")) {
    std::lock_guard<std::mutex> lock(agent->mutex_);
    if (auto engine = agent->Engine(); engine.ok()) engine.value()->RemoveAll();
  }
  HttpServer::Options server_options;
  server_options.address = agent->options_.address;
  server_options.port = agent->options_.port;
  server_options.max_connections = agent->options_.max_connections;
  LocalAgent* raw = agent.get();
  server_options.on_refused = [raw] { ++raw->refused_connections_; };
  auto server = HttpServer::Start(server_options,
                                  [raw](const HttpServer::Request& r) { return raw->Serve(r); });
  if (!server.ok()) return server.status();
  agent->server_ = std::move(server).value();
  agent->worker_ = std::thread([raw] { raw->WorkLoop(); });
  return agent;
}

LocalAgent::LocalAgent(Options options)
    : options_(std::move(options)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      gc_(options_.sandbox_gc) {}

void LocalAgent::Wake() {
  const std::uint64_t one = 1;
  // Fails only when the counter is full, and then the worker wakes anyway.
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof one);
}

Status LocalAgent::Recover() {
  info_.mutable_id()->set_value(options_.agent_id);
  const std::string meta_dir = AgentMetaDir(options_.work_dir, options_.agent_id);
  auto checkpoints = ReadCheckpoints(meta_dir);
  if (!checkpoints.ok()) {
    return Status::Error(checkpoints.status().code(), "cannot recover agent " + options_.agent_id +
                                                          ": " + checkpoints.message());
  }
  const Clock::time_point deadline = Clock::now() + options_.reregistration_timeout;
  std::lock_guard<std::mutex> lock(mutex_);
  for (ExecutorCheckpoint& checkpoint : checkpoints.value()) {
    auto executor = std::make_unique<Executor>();
    executor->framework = std::move(checkpoint.framework);
    executor->info = std::move(checkpoint.executor);
    executor->container_id = std::move(checkpoint.container_id);
    executor->sandbox = std::move(checkpoint.sandbox);
    executor->recovered = true;
    executor->start_time = checkpoint.start_time;
    executor->registration_deadline = Clock::time_point::max();
    for (CheckpointedTask& task : checkpoint.tasks) {
      // Its ports again: they went with the crashed agent's process.
      auto leased = LeaseTaskPorts(task.info);
      if (leased.ok()) {
        for (PortLease& lease : leased.value()) executor->leases.push_back(std::move(lease));
      }
      Executor::Task& recovered = executor->tasks[task.info.task_id().value()];
      recovered.info = std::move(task.info);
      recovered.state = task.state;
    }
    // The pidfd first, then the start time: a pid reused before the pidfd
    // was opened shows another start time.
    const int pidfd = OpenPidfd(checkpoint.pid);
    if (pidfd >= 0 && ProcessStartTime(checkpoint.pid) == checkpoint.start_time) {
      executor->pid = checkpoint.pid;
      executor->pidfd = pidfd;
      executor->reregistration_deadline = deadline;
    } else if (pidfd >= 0) {
      close(pidfd);
    }
    const std::pair<std::string, std::string> key{executor->framework.id().value(),
                                                  executor->info.executor_id().value()};
    executors_[key] = std::move(executor);
    ++recovered_;
  }
  recovery_reported_ = recovered_ == 0;
  return KillUnrecovered(meta_dir);
}

Status LocalAgent::KillUnrecovered(const std::string& meta_dir) {
  auto records = ReadProcessRecords(meta_dir);
  if (!records.ok()) {
    return Status::Error(records.status().code(),
                         "cannot recover agent " + options_.agent_id + ": " + records.message());
  }
  for (const ProcessRecord& record : records.value()) {
    auto it = executors_.find({record.framework_id, record.executor_id});
    if (it != executors_.end() && it->second->pid == record.pid &&
        it->second->container_id == record.container_id) {
      continue;  // recovered: it may subscribe again
    }
    // Alive (the same pidfd-then-start-time order as above: a recycled pid
    // is never killed): killed with its group. Gone (killed by
    // PR_SET_PDEATHSIG when the agent died): what it started may live on in
    // its group.
    const int pidfd = OpenPidfd(record.pid);
    const std::optional<std::uint64_t> start = ProcessStartTime(record.pid);
    if (pidfd >= 0 && start == record.start_time) {
      KillProcessGroup(record.pid);
      pollfd ended{pidfd, POLLIN, 0};
      while (poll(&ended, 1, 5000) < 0 && errno == EINTR) {
      }
      KillProcessGroup(record.pid);  // what it started meanwhile
      ++killed_at_recovery_;
    } else if (!start && LeaderlessGroupOf(record)) {
      KillProcessGroup(record.pid);
      ++killed_at_recovery_;
    }
    if (pidfd >= 0) close(pidfd);
    RemoveProcessRecord(meta_dir, record);
  }
  return Status::Ok();
}

bool LocalAgent::DiesWithAgent(const mesos::v1::FrameworkInfo& framework) const {
  return options_.executors_die_with_agent || !framework.checkpoint();
}

ProcessRecord LocalAgent::RecordOf(const Executor& executor) {
  ProcessRecord record;
  record.framework_id = executor.framework.id().value();
  record.executor_id = executor.info.executor_id().value();
  record.container_id = executor.container_id;
  return record;
}

Status LocalAgent::RecordStart(const Executor& executor) {
  const std::string meta_dir = AgentMetaDir(options_.work_dir, info_.id().value());
  ProcessRecord record = RecordOf(executor);
  record.pid = executor.pid;
  record.start_time = executor.start_time;
  record.session = getsid(0);  // the executor's too: it only left our process group
  if (Status written = WriteProcessRecord(meta_dir, record); !written.ok()) return written;
  if (DiesWithAgent(executor.framework)) {
    if (Status guarded = GuardProcessGroup(executor.pid); !guarded.ok()) {
      RemoveProcessRecord(meta_dir, record);
      return guarded;
    }
  }
  Checkpoint(executor);
  return Status::Ok();
}

std::vector<RecoveredExecutor> LocalAgent::Recovered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<RecoveredExecutor> recovered;
  for (const auto& [key, executor] : executors_) {
    if (!executor->recovered) continue;
    RecoveredExecutor entry;
    entry.framework = executor->framework;
    entry.executor = executor->info;
    for (const auto& [id, task] : executor->tasks) {
      entry.tasks.push_back({task.info, task.state});
    }
    recovered.push_back(std::move(entry));
  }
  return recovered;
}

bool LocalAgent::RecoveringLocked() const {
  return std::any_of(executors_.begin(), executors_.end(), [](const auto& entry) {
    const Executor& executor = *entry.second;
    return executor.recovered && executor.pidfd >= 0 && !executor.subscribed &&
           !executor.shutting_down;
  });
}

std::size_t LocalAgent::KilledAtRecovery() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return killed_at_recovery_;
}

bool LocalAgent::Recovering() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return RecoveringLocked();
}

bool LocalAgent::Checkpoint(const Executor& executor, std::function<void()> written) {
  if (!executor.framework.checkpoint() || executor.pid <= 0) return false;
  ExecutorCheckpoint checkpoint;
  checkpoint.framework = executor.framework;
  checkpoint.executor = executor.info;
  checkpoint.container_id = executor.container_id;
  checkpoint.sandbox = executor.sandbox;
  checkpoint.pid = executor.pid;
  checkpoint.start_time = executor.start_time;
  for (const auto& [id, task] : executor.tasks) {
    checkpoint.tasks.push_back({task.info, task.state});
  }
  checkpoints_.Put(AgentMetaDir(options_.work_dir, info_.id().value()), std::move(checkpoint),
                   std::move(written));
  return true;
}

void LocalAgent::Forget(const Executor& executor) {
  const std::string meta_dir = AgentMetaDir(options_.work_dir, info_.id().value());
  const ProcessRecord record = RecordOf(executor);
  RemoveProcessRecord(meta_dir, record);
  checkpoints_.Remove(meta_dir, record.framework_id, record.executor_id);
}

LocalAgent::~LocalAgent() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void LocalAgent::Attach(mesos::v1::AgentInfo info, Reports reports) {
  std::lock_guard<std::mutex> lock(mutex_);
  info_ = std::move(info);
  reports_ = std::move(reports);
  attached_ = true;
  Wake();  // the worker may now tick
}

std::string LocalAgent::RegisterWith(Master& master, mesos::v1::AgentInfo info) {
  const std::string id = master.AddAgent(info, options_.address, this);
  info.mutable_id()->set_value(id);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    info_ = std::move(info);
  }
  AttachReports(master, id);
  return id;
}

void LocalAgent::ReregisterWith(Master& master, mesos::v1::AgentInfo info) {
  info.mutable_id()->set_value(options_.agent_id);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    info_ = info;
  }
  master.ReregisterAgent(info, options_.address, Recovered(), this);
  AttachReports(master, options_.agent_id);
}

void LocalAgent::AttachReports(Master& master, const std::string& id) {
  Master* m = &master;
  Reports reports;
  reports.status_update = [m, id](const std::string& framework_id, TaskStatus status) {
    m->StatusUpdate(id, framework_id, std::move(status));
  };
  reports.executor_terminated = [m, id](const std::string& framework_id,
                                        const mesos::v1::ExecutorID& executor_id, int wait_status) {
    m->ExecutorTerminated(id, framework_id, executor_id, wait_status);
  };
  reports.executor_message = [m, id](const std::string& framework_id,
                                     const mesos::v1::ExecutorID& executor_id, std::string data) {
    m->ExecutorMessage(id, framework_id, executor_id, std::move(data));
  };
  std::vector<std::string> origins = master.PageOrigins();
  std::lock_guard<std::mutex> lock(mutex_);
  reports_ = std::move(reports);
  page_origins_ = std::move(origins);
  attached_ = true;
  Wake();  // the worker may now tick
}

std::uint16_t LocalAgent::port() const { return server_->port(); }

std::string LocalAgent::endpoint() const { return options_.address + ":" + std::to_string(port()); }

std::optional<pid_t> LocalAgent::ExecutorPid(const std::string& framework_id,
                                             const std::string& executor_id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = executors_.find({framework_id, executor_id});
  if (it == executors_.end() || it->second->pid <= 0) return std::nullopt;
  return it->second->pid;
}

void LocalAgent::Handle(const AgentRequest& request) {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopping_) return;
    queue_.push_back(request);
    ++received_;
  }
  Wake();
}

void LocalAgent::Stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  Wake();
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string meta_dir = AgentMetaDir(options_.work_dir, info_.id().value());
    for (auto& [key, executor] : executors_) {
      if (executor->pid > 0) {
        KillExecutor(*executor);
        if (executor->recovered) {
          // No child of ours: wait on its pidfd (SIGKILL is not ignored).
          pollfd ready{executor->pidfd, POLLIN, 0};
          while (poll(&ready, 1, 5000) < 0 && errno == EINTR) {
          }
        } else {
          int status = 0;
          while (waitpid(executor->pid, &status, 0) < 0 && errno == EINTR) {
          }
        }
        KillProcessGroup(executor->pid);  // anything left in the group
        UnguardProcessGroup(executor->pid);
        executor->pid = -1;
      }
      if (executor->pidfd >= 0) close(executor->pidfd);
      if (executor->stream) executor->stream->Close();
      // Nothing is left to recover.
      Forget(*executor);
    }
    executors_.clear();
    if (engine_) engine_->RemoveAll();
  }
  checkpoints_.Flush();
  if (server_) server_->Stop();
}

void LocalAgent::WorkLoop() {
  std::vector<pollfd> fds;
  for (;;) {
    // Sleep until a request (the eventfd), an executor's end (its pidfd) or
    // the next deadline. An executor without a pidfd (pidfd_open failed)
    // is reaped by polling, at most 10 ms late.
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    int timeout = wake_fd_ >= 0 ? -1 : 10;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (attached_) {
        for (const auto& [key, executor] : executors_) {
          if (executor->pidfd >= 0) {
            fds.push_back({executor->pidfd, POLLIN, 0});
          } else if (executor->pid > 0) {
            timeout = 10;
          }
        }
        if (auto deadline = NextDeadlineLocked()) {
          const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
          const int until = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, INT_MAX));
          timeout = timeout < 0 ? until : std::min(timeout, until);
        }
      }
    }
    while (poll(fds.data(), fds.size(), timeout) < 0 && errno == EINTR) {
    }
    // Only these executors are asked whether they ended: asking all of
    // them at every wake would cost a system call per executor per launch.
    std::unordered_set<int> ended;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) ended.insert(fds[i].fd);
    }
    std::uint64_t wakes = 0;
    if (wake_fd_ >= 0) (void)!read(wake_fd_, &wakes, sizeof wakes);
    std::deque<AgentRequest> requests;
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      if (stopping_) return;
      requests.swap(queue_);
    }
    Work work;
    for (const AgentRequest& request : requests) {
      // The lock for one request at a time: an executor's call waits for
      // one launch, not for the thousand queued with it.
      std::lock_guard<std::mutex> lock(mutex_);
      Process(request, work);
    }
    Reports reports;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (attached_) Tick(Clock::now(), ended, work);
      if (attached_ && !recovery_reported_ && !RecoveringLocked()) {
        recovery_reported_ = true;
        work.recovery_over = true;
      }
      reports = reports_;
    }
    Flush(reports, work);
    if (work.recovery_over && options_.on_recovered) {
      std::size_t resubscribed = 0;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        resubscribed = resubscribed_;
      }
      options_.on_recovered(resubscribed, recovered_);
    }
    if (!requests.empty()) {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      processed_ += requests.size();
      processed_wake_.notify_all();
    }
  }
}

bool LocalAgent::WaitForRequests(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(queue_mutex_);
  const std::uint64_t target = received_;
  return processed_wake_.wait_for(lock, timeout, [&] {
    return stopping_ || processed_ >= target;
  }) && processed_ >= target;
}

void LocalAgent::Flush(const Reports& reports, Work& work) {
  for (const std::string& sandbox : work.sandboxes_to_remove) RemoveSandbox(sandbox);
  for (auto& [framework_id, status] : work.updates) {
    if (reports.status_update) reports.status_update(framework_id, std::move(status));
  }
  for (auto& terminated : work.terminated) {
    if (reports.executor_terminated) {
      reports.executor_terminated(terminated.framework_id, terminated.executor_id,
                                  terminated.wait_status);
    }
  }
}

void LocalAgent::Process(const AgentRequest& request, Work& work) {
  if (const auto* launch = std::get_if<LaunchTasks>(&request)) {
    Launch(*launch, work);
  } else if (const auto* kill = std::get_if<KillTask>(&request)) {
    for (auto& [key, executor] : executors_) {
      if (key.first != kill->framework_id) continue;
      auto task = executor->tasks.find(kill->task_id.value());
      if (task == executor->tasks.end() || IsTerminal(task->second.state)) continue;
      auto queued =
          std::find(executor->queued.begin(), executor->queued.end(), kill->task_id.value());
      if (queued != executor->queued.end()) {
        executor->queued.erase(queued);
        task->second.state = mesos::v1::TASK_KILLED;
        work.updates.emplace_back(
            kill->framework_id,
            AgentStatus(info_, task->first, &executor->info.executor_id(), mesos::v1::TASK_KILLED,
                        TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH,
                        "Killed before the executor subscribed"));
        if (!executor->subscribed && executor->queued.empty()) {
          Shutdown(*executor);
        }
      } else {
        Event event;
        event.set_type(Event::KILL);
        *event.mutable_kill()->mutable_task_id() = kill->task_id;
        if (kill->kill_policy) {
          *event.mutable_kill()->mutable_kill_policy() = *kill->kill_policy;
        }
        executor->Send(event);
      }
    }
  } else if (const auto* shutdown = std::get_if<ShutdownExecutor>(&request)) {
    auto it = executors_.find({shutdown->framework_id, shutdown->executor_id.value()});
    if (it != executors_.end()) Shutdown(*it->second);
  } else if (const auto* framework = std::get_if<ShutdownFramework>(&request)) {
    for (auto& [key, executor] : executors_) {
      if (key.first == framework->framework_id) Shutdown(*executor);
    }
  } else if (const auto* message = std::get_if<FrameworkToExecutor>(&request)) {
    auto it = executors_.find({message->framework_id, message->executor_id.value()});
    if (it != executors_.end()) {
      Event event;
      event.set_type(Event::MESSAGE);
      event.mutable_message()->set_data(message->data);
      it->second->Send(event);
    }
  }
  // AcknowledgeUpdate: the master retries updates itself; nothing to do.
}

Result<std::vector<PortLease>> LocalAgent::LeaseTaskPorts(const mesos::v1::TaskInfo& task) const {
  if (options_.port_lease_dir.empty()) return std::vector<PortLease>{};
  std::vector<std::uint32_t> ports = PortsOf(task.resources());
  for (std::uint32_t port : PortsOf(task.executor().resources())) ports.push_back(port);
  return LeasePorts(options_.port_lease_dir, options_.address, ports);
}

void LocalAgent::Launch(const LaunchTasks& launch, Work& work) {
  for (const mesos::v1::TaskInfo& task : launch.tasks) LaunchTask(launch, task, work);
}

void LocalAgent::LaunchTask(const LaunchTasks& launch, const mesos::v1::TaskInfo& task,
                            Work& work) {
  const std::string framework_id = launch.framework.id().value();
  auto fail = [&](const mesos::v1::ExecutorID* executor_id, const std::string& why) {
    work.updates.emplace_back(
        framework_id,
        AgentStatus(info_, task.task_id().value(), executor_id, mesos::v1::TASK_FAILED,
                    TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, why));
  };
  if (launch.executor) return fail(nullptr, "task groups are not supported by this agent yet");
  if (task.has_container() && task.has_executor()) {
    return fail(&task.executor().executor_id(),
                "a task under its own executor runs in the executor's image "
                "(ExecutorInfo.container), not one of its own (TaskInfo.container)");
  }
  // A command task runs under a command executor made for it.
  mesos::v1::ExecutorInfo command_executor;
  if (!task.has_executor()) {
    const std::string executable =
        (std::filesystem::path(options_.launcher_dir) / kCommandExecutorName).string();
    command_executor = CommandExecutorInfo(task, launch.framework.id(), executable);
    // The task's image: the command executor (static, mounted from the
    // launcher dir) runs in it with the command.
    if (task.has_container()) *command_executor.mutable_container() = task.container();
    if (options_.launcher_dir.empty() || access(executable.c_str(), X_OK) != 0) {
      return fail(
          &command_executor.executor_id(),
          "cannot run the command executor for a command task: " +
              (options_.launcher_dir.empty() ? std::string("this agent has no launcher directory")
                                             : executable + " is missing or not executable") +
              "; give mesos-launch-cluster --launcher-dir the directory holding " +
              kCommandExecutorName +
              " (mesos-launch's embedded cluster runs the one "
              "installed beside mesos-launch)");
    }
  }
  const mesos::v1::ExecutorInfo& info = task.has_executor() ? task.executor() : command_executor;
  const std::string executor_id = info.executor_id().value();
  if (auto existing = executors_.find({framework_id, executor_id}); existing != executors_.end()) {
    if (!task.has_executor()) {
      return fail(&info.executor_id(), "the executor id " + executor_id +
                                           " of this command task is taken by a running "
                                           "executor; give the task another id");
    }
    if (Status added = AddTask(*existing->second, task); !added.ok()) {
      fail(&info.executor_id(), added.message());
    }
    return;
  }
  auto started = StartExecutor(launch, info, task);
  if (!started.ok()) return fail(&info.executor_id(), started.message());
  executors_[{framework_id, executor_id}] = std::move(started).value();
}

Status LocalAgent::AddTask(Executor& executor, const mesos::v1::TaskInfo& task) {
  if (executor.shutting_down) return Status::InvalidData("the executor is shutting down");
  auto leased = LeaseTaskPorts(task);
  if (!leased.ok()) return leased.status();
  for (PortLease& lease : leased.value()) executor.leases.push_back(std::move(lease));
  executor.tasks[task.task_id().value()].info = task;
  Checkpoint(executor);
  if (executor.subscribed) {
    Event event;
    event.set_type(Event::LAUNCH);
    *event.mutable_launch()->mutable_task() = task;
    executor.Send(event);
  } else {
    executor.queued.push_back(task.task_id().value());
  }
  return Status::Ok();
}

Result<std::unique_ptr<LocalAgent::Executor>> LocalAgent::StartExecutor(
    const LaunchTasks& launch, const mesos::v1::ExecutorInfo& info,
    const mesos::v1::TaskInfo& task) {
  const std::string framework_id = launch.framework.id().value();
  const std::string executor_id = info.executor_id().value();
  // The master checks ids as Mesos does; this makes sure, whatever it
  // let through, that no path built below leads out of the work dir.
  if (!IsDirectoryName(framework_id) || !IsDirectoryName(executor_id) ||
      !IsDirectoryName(info_.id().value())) {
    return Status::InvalidData("the framework or executor id cannot name a sandbox directory");
  }
  auto leased = LeaseTaskPorts(task);
  if (!leased.ok()) return leased.status();
  auto executor = std::make_unique<Executor>();
  executor->leases = std::move(leased).value();
  executor->framework = launch.framework;
  executor->info = info;
  if (!executor->info.has_framework_id()) {
    *executor->info.mutable_framework_id() = launch.framework.id();
  }
  executor->container_id = NewUuid();
  if (Status made = MakeSandbox(*executor); !made.ok()) return made;
  FetchOptions fetch_options;
  fetch_options.http_client = options_.http_client;
  fetch_options.cache_dir = options_.fetch_cache_dir;
  fetch_options.stall_timeout = options_.fetcher_stall_timeout;
  if (Status fetched = FetchUris(info.command(), executor->sandbox, fetch_options); !fetched.ok()) {
    return fetched;
  }
  auto env = ExecutorEnv(*executor);
  if (!env.ok()) return env.status();
  mesos::v1::CommandInfo command = info.command();
  std::map<std::string, std::string> process_env = std::move(env).value();
  if (info.has_container()) {
    process_env["MESOS_SANDBOX"] = kContainerSandbox;  // MESOS_DIRECTORY stays the host's
    auto container = ContainerCommand(*executor, task, process_env);
    if (!container.ok()) return container.status();
    command = std::move(container).value();
    process_env = engine_->Environment(std::move(process_env));
  }
  auto pid =
      SpawnExecutor(command, process_env, executor->sandbox, DiesWithAgent(launch.framework));
  if (!pid.ok()) return Status::InvalidData("cannot start the executor: " + pid.message());
  executor->pid = pid.value();
  executor->start_time = ProcessStartTime(pid.value()).value_or(0);
  executor->registration_deadline = Clock::now() + options_.registration_timeout;
  executor->tasks[task.task_id().value()].info = task;
  executor->queued.push_back(task.task_id().value());
  if (Status saved = RecordStart(*executor); !saved.ok()) {
    // Unrecoverable after a crash: not started at all.
    KillExecutor(*executor);
    int ignored = 0;
    while (waitpid(executor->pid, &ignored, 0) < 0 && errno == EINTR) {
    }
    return Status::InvalidData("cannot checkpoint the executor: " + saved.message());
  }
  // Readable once the child ends, so the worker need not poll for it.
  executor->pidfd = OpenPidfd(executor->pid);
  return executor;
}

Status LocalAgent::MakeSandbox(Executor& executor) const {
  const std::filesystem::path runs =
      std::filesystem::path(options_.work_dir) / "slaves" / info_.id().value() / "frameworks" /
      executor.framework.id().value() / "executors" / executor.info.executor_id().value() / "runs";
  executor.sandbox = (runs / executor.container_id).string();
  std::error_code error;
  std::filesystem::create_directories(executor.sandbox, error);
  if (error) {
    return Status::Error(StatusCode::kUnavailable,
                         "cannot create the sandbox " + executor.sandbox + ": " + error.message());
  }
  std::filesystem::remove(runs / "latest", error);
  std::filesystem::create_directory_symlink(executor.container_id, runs / "latest", error);
  return Status::Ok();
}

Result<std::map<std::string, std::string>> LocalAgent::ExecutorEnv(const Executor& executor) const {
  const mesos::v1::ExecutorInfo& info = executor.info;
  ExecutorEnvironmentInput input;
  input.framework_id = executor.framework.id().value();
  input.executor_id = info.executor_id().value();
  input.agent_id = info_.id().value();
  input.sandbox = executor.sandbox;
  input.agent_endpoint = endpoint();
  input.checkpoint = executor.framework.checkpoint();
  input.recovery_timeout_ns = std::chrono::nanoseconds(options_.recovery_timeout).count();
  input.subscription_backoff_max_ns =
      std::chrono::nanoseconds(options_.reregistration_timeout).count();
  input.shutdown_grace_period_ns =
      info.has_shutdown_grace_period()
          ? info.shutdown_grace_period().nanoseconds()
          : std::chrono::nanoseconds(options_.shutdown_grace_period).count();
  input.user = info.command().environment();
  if (tokens_) {
    input.authentication_token =
        tokens_->Issue({input.framework_id, input.executor_id, executor.container_id});
  }
  return ExecutorEnvironment(input);
}

void LocalAgent::KillExecutor(Executor& executor) {
  KillProcessGroup(executor.pid);
  // SIGKILL ends `podman run`, not the container it started.
  if (!executor.container.empty() && engine_) engine_->Remove(executor.container);
  if (executor.container_pid > 0) {
    UnguardProcessGroup(executor.container_pid);
    executor.container_pid = -1;
  }
}

Result<const ContainerEngine*> LocalAgent::Engine() {
  if (!engine_) {
    const char* path = std::getenv("PATH");
    auto found = ContainerEngine::Find(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin",
                                       options_.work_dir, ContainerLabel());
    if (!found.ok()) return found.status();
    engine_ = std::move(found).value();
  }
  return &*engine_;
}

std::string LocalAgent::ContainerLabel() const {
  return "io.mesos-launch.work-dir=" + options_.work_dir;
}

Result<mesos::v1::CommandInfo> LocalAgent::ContainerCommand(
    Executor& executor, const mesos::v1::TaskInfo& task,
    const std::map<std::string, std::string>& env) {
  auto engine = Engine();
  if (!engine.ok()) return engine.status();
  ContainerRun run;
  run.name = "mesos-launch-" + executor.container_id;
  run.label = ContainerLabel();
  run.info = executor.info.container();
  run.command = executor.info.command();
  run.sandbox = executor.sandbox;
  for (const auto& [name, value] : env) {
    if (name != "PATH") run.env_names.push_back(name);
  }
  for (const auto* resources : {&executor.info.resources(), &task.resources()}) {
    for (const mesos::v1::Resource& r : *resources) {
      if (r.name() == "cpus") run.cpus += r.scalar().value();
      if (r.name() == "mem") run.mem_mb += r.scalar().value();
    }
  }
  // An executor run in place from this host (mesos-launch's embedded
  // cluster): the same file, read-only, inside the image.
  const std::string& program = run.command.value();
  if (!run.command.shell() && !program.empty() && program[0] == '/' &&
      program.rfind(executor.sandbox + "/", 0) != 0 && access(program.c_str(), X_OK) == 0) {
    run.host_files.push_back(program);
  }
  auto plan = ContainerPlan(run);
  if (!plan.ok()) return plan.status();
  Status image = engine.value()->HasImage(plan->image);
  // Not in the local store: it may have come as an artifact, an image
  // archive (docker-archive or oci-archive, named *.tar, not extracted).
  for (const mesos::v1::CommandInfo::URI& uri : run.command.uris()) {
    if (image.ok()) break;
    auto name = FetchedName(uri);
    if (!name.ok() || uri.extract() || !name->ends_with(".tar")) continue;
    if (Status loaded = engine.value()->Load(executor.sandbox + "/" + name.value()); !loaded.ok()) {
      return loaded;
    }
    image = engine.value()->HasImage(plan->image);
  }
  if (!image.ok()) return image;
  executor.container = run.name;
  return engine.value()->RunCommand(plan.value());
}

void LocalAgent::Shutdown(Executor& executor) {
  if (executor.shutting_down) return;
  executor.shutting_down = true;
  if (executor.subscribed) {
    Event event;
    event.set_type(Event::SHUTDOWN);
    executor.Send(event);
    const auto grace =
        executor.info.has_shutdown_grace_period()
            ? std::chrono::duration_cast<Clock::duration>(
                  std::chrono::nanoseconds(executor.info.shutdown_grace_period().nanoseconds()))
            : std::chrono::duration_cast<Clock::duration>(options_.shutdown_grace_period);
    executor.kill_deadline = Clock::now() + grace;
  } else {
    KillExecutor(executor);
  }
}

std::optional<Clock::time_point> LocalAgent::NextDeadlineLocked() const {
  std::optional<Clock::time_point> next;
  auto consider = [&](Clock::time_point at) { next = next ? std::min(*next, at) : at; };
  for (const auto& [key, executor] : executors_) {
    // The same conditions as Tick()'s.
    if (!executor->subscribed && !executor->shutting_down) {
      if (executor->registration_deadline != Clock::time_point::max()) {
        consider(executor->registration_deadline);
      }
      if (executor->reregistration_deadline) consider(*executor->reregistration_deadline);
    }
    if (executor->kill_deadline) consider(*executor->kill_deadline);
  }
  if (auto gc = gc_.NextDue()) consider(*gc);
  return next;
}

void LocalAgent::Tick(Clock::time_point now, const std::unordered_set<int>& ended_pidfds,
                      Work& work) {
  for (auto it = executors_.begin(); it != executors_.end();) {
    Executor& executor = *it->second;
    if (!executor.subscribed && !executor.shutting_down && now >= executor.registration_deadline) {
      std::string why = "the executor never subscribed: its registration timeout ran out";
      if (const std::uint64_t refused = refused_connections_.load(); refused > 0) {
        why += " (the agent refused " + std::to_string(refused) + " connections at its limit of " +
               std::to_string(options_.max_connections) +
               "; mesos-launch-cluster --agent-max-connections raises it)";
      }
      FailOpenTasks(info_, executor, TaskStatus::REASON_EXECUTOR_REGISTRATION_TIMEOUT, why, work);
      executor.shutting_down = true;
      KillExecutor(executor);
    }
    if (executor.reregistration_deadline && !executor.subscribed && !executor.shutting_down &&
        now >= *executor.reregistration_deadline) {
      FailOpenTasks(info_, executor, TaskStatus::REASON_EXECUTOR_REREGISTRATION_TIMEOUT,
                    "the executor did not subscribe again in time after the agent "
                    "restarted",
                    work);
      executor.shutting_down = true;
      KillExecutor(executor);
    }
    if (executor.kill_deadline && now >= *executor.kill_deadline) {
      executor.kill_deadline.reset();
      KillExecutor(executor);
    }
    int wait_status = 0;
    bool ended = false;
    const bool may_have_ended = executor.pidfd < 0 || ended_pidfds.count(executor.pidfd) > 0;
    if (executor.recovered) {
      // Found dead at recovery, or its pidfd says it ended; its wait
      // status belongs to whoever reaps it.
      ended = may_have_ended;
      wait_status = -1;
    } else if (executor.pid > 0 && may_have_ended) {
      const pid_t reaped = waitpid(executor.pid, &wait_status, WNOHANG);
      ended = reaped == executor.pid;
      if (reaped < 0 && errno == ECHILD) {
        // Reaped by someone else (SIGCHLD ignored): ended, status unknown.
        ended = true;
        wait_status = -1;
      }
    }
    if (ended) {
      KillExecutor(executor);  // whatever it left behind
      UnguardProcessGroup(executor.pid);
      executor.pid = -1;
      if (executor.pidfd >= 0) close(executor.pidfd);
      executor.pidfd = -1;
      if (executor.stream) executor.stream->Close();
      FailOpenTasks(info_, executor, TaskStatus::REASON_EXECUTOR_TERMINATED, "Executor terminated",
                    work);
      Forget(executor);
      // Only sandboxes this agent made (a recovered checkpoint could name
      // any directory).
      const std::string slaves = (std::filesystem::path(options_.work_dir) / "slaves").string();
      if (executor.sandbox.rfind(slaves + "/", 0) == 0) gc_.Ended(executor.sandbox, now);
      // The scheduler hears of custom executors' ends only.
      if (!IsCommandExecutor(executor)) {
        work.terminated.push_back({it->first.first, executor.info.executor_id(), wait_status});
      }
      it = executors_.erase(it);
      continue;
    }
    ++it;
  }
  for (std::string& sandbox : gc_.Due(now, DiskUse(options_.work_dir))) {
    work.sandboxes_to_remove.push_back(std::move(sandbox));
  }
}

bool LocalAgent::TakeUpdate(Executor& executor, TaskStatus status, std::vector<TaskStatus>& forward,
                            std::vector<Event>& acknowledgements) {
  Event acknowledged;
  acknowledged.set_type(Event::ACKNOWLEDGED);
  *acknowledged.mutable_acknowledged()->mutable_task_id() = status.task_id();
  acknowledged.mutable_acknowledged()->set_uuid(status.uuid());
  acknowledgements.push_back(std::move(acknowledged));
  // A uuid seen before is acknowledged again but not forwarded again.
  if (!executor.seen_uuids.insert(status.uuid()).second) return false;
  if (!status.has_agent_id()) *status.mutable_agent_id() = info_.id();
  *status.mutable_executor_id() = executor.info.executor_id();
  if (!status.has_timestamp()) {
    status.set_timestamp(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  }
  auto task = executor.tasks.find(status.task_id().value());
  const bool changed = task != executor.tasks.end() && task->second.state != status.state();
  if (changed) task->second.state = status.state();
  forward.push_back(std::move(status));
  return changed;
}

void LocalAgent::Forward(const Reports& reports, const std::string& framework_id,
                         std::vector<TaskStatus>& forward) {
  for (TaskStatus& status : forward) {
    if (reports.status_update) reports.status_update(framework_id, std::move(status));
  }
}

HttpServer::Response LocalAgent::Serve(const HttpServer::Request& request) {
  const std::string_view path = request.path();
  if (IsFilesEndpoint(path)) return ServeSandboxFiles(request);
  if (path != "/api/v1/executor" && path != "/slave(1)/api/v1/executor") {
    return HttpServer::Response::Empty(404);
  }
  return ServeExecutorCall(request);
}

HttpServer::Response LocalAgent::ServeSandboxFiles(const HttpServer::Request& request) {
  std::string agent_dir;
  std::vector<std::string> origins;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Before the agent has an id, nothing names a sandbox of it.
    if (!info_.id().value().empty())
      agent_dir = options_.work_dir + "/slaves/" + info_.id().value();
    origins = page_origins_;
  }
  return ServeFiles(SandboxFiles(agent_dir), request, origins);
}

HttpServer::Response LocalAgent::ServeExecutorCall(const HttpServer::Request& request) {
  // Authentication comes first, as in Mesos (before the method is looked at).
  std::optional<ExecutorClaims> claims;
  if (tokens_) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string authorization = request.headers.Get("Authorization").value_or("");
    if (authorization.rfind(kBearer, 0) == 0) {
      claims = tokens_->Verify(std::string_view(authorization).substr(kBearer.size()));
    }
    if (!claims) {
      auto response = HttpServer::Response::Text(
          401,
          "executor calls need the token the agent gave in "
          "MESOS_EXECUTOR_AUTHENTICATION_TOKEN, as 'Authorization: Bearer <token>'");
      response.headers.Set("WWW-Authenticate", "Bearer realm=\"mesos-agent-executor\"");
      return response;
    }
  }
  Call call;
  const auto is_json = ReadCall(request, &call);
  if (const auto* refused = std::get_if<HttpServer::Response>(&is_json)) return *refused;
  if (Verdict broken = FirstBroken(kExecutorCallRules, call)) {
    return HttpServer::Response::Text(400, Malformed(broken->message));
  }
  bool json = false;
  if (call.type() == Call::SUBSCRIBE) {
    const auto stream_json = AnswerIsJson(request);
    if (const auto* refused = std::get_if<HttpServer::Response>(&stream_json)) return *refused;
    json = std::get<bool>(stream_json);
  }
  if (call.type() == Call::HEARTBEAT) return HttpServer::Response::Empty(202);

  const std::string framework_id = call.framework_id().value();
  const std::string executor_id = call.executor_id().value();
  std::unique_lock<std::mutex> lock(mutex_);
  if (call.type() != Call::SUBSCRIBE && RecoveringLocked()) {
    return HttpServer::Response::Text(503, "the agent is still recovering; try again shortly");
  }
  const bool known_framework =
      std::any_of(executors_.begin(), executors_.end(),
                  [&](const auto& entry) { return entry.first.first == framework_id; });
  if (!known_framework)
    return HttpServer::Response::Text(
        400, "no executor of framework " + framework_id + " is on this agent");
  auto it = executors_.find({framework_id, executor_id});
  if (it == executors_.end())
    return HttpServer::Response::Text(
        400, "executor " + executor_id + " of framework " + framework_id + " is not on this agent");
  Executor& executor = *it->second;
  if (claims && *claims != ExecutorClaims{framework_id, executor_id, executor.container_id}) {
    return HttpServer::Response::Text(403, "the token was given to another executor");
  }
  if (call.type() != Call::SUBSCRIBE && !executor.subscribed) {
    return HttpServer::Response::Text(
        403, "executor " + executor_id + " has not subscribed: SUBSCRIBE first");
  }
  switch (call.type()) {
    case Call::SUBSCRIBE:
      return Subscribe(executor, call, json, std::move(lock));
    case Call::UPDATE:
      return Update(executor, call, std::move(lock));
    case Call::MESSAGE: {
      const Reports reports = reports_;
      lock.unlock();
      if (reports.executor_message) {
        reports.executor_message(framework_id, call.executor_id(), call.message().data());
      }
      return HttpServer::Response::Empty(202);
    }
    default:
      return HttpServer::Response::Empty(501);
  }
}

HttpServer::Response LocalAgent::Subscribe(Executor& executor, const Call& call, bool json,
                                           std::unique_lock<std::mutex> lock) {
  HttpServer::Response response;
  response.status = 200;
  response.headers.Set("Content-Type", json ? kJsonMedia : kProtobufMedia);
  response.stream = std::make_shared<ResponseStream>();
  if (executor.shutting_down) {
    Event event;
    event.set_type(Event::SHUTDOWN);
    response.stream->Write(Encode(event, json));
    response.stream->Close();
    return response;
  }
  if (executor.stream) executor.stream->Close();
  executor.stream = response.stream;
  executor.json = json;
  executor.subscribed = true;
  // Its container runs by now: its processes die with the agent too.
  if (!executor.container.empty() && executor.container_pid < 0 && engine_ &&
      DiesWithAgent(executor.framework)) {
    if (std::optional<pid_t> init = engine_->InitPid(executor.container)) {
      if (GuardProcessGroup(*init).ok()) executor.container_pid = *init;
    }
  }
  Wake();  // its deadline is off; recovery may be over
  Event subscribed;
  subscribed.set_type(Event::SUBSCRIBED);
  auto* payload = subscribed.mutable_subscribed();
  *payload->mutable_executor_info() = executor.info;
  *payload->mutable_framework_info() = executor.framework;
  *payload->mutable_agent_info() = info_;
  payload->mutable_container_id()->set_value(executor.container_id);
  executor.Send(subscribed);
  for (const std::string& task_id : executor.queued) {
    Event launch;
    launch.set_type(Event::LAUNCH);
    *launch.mutable_launch()->mutable_task() = executor.tasks[task_id].info;
    executor.Send(launch);
  }
  executor.queued.clear();
  // Updates the executor still waits to see acknowledged: new
  // ones are forwarded, all are acknowledged on the new stream.
  std::vector<TaskStatus> forward;
  std::vector<Event> acknowledgements;
  bool changed = false;
  for (const auto& update : call.subscribe().unacknowledged_updates()) {
    if (update.status().uuid().size() != 16) continue;
    changed = TakeUpdate(executor, update.status(), forward, acknowledgements) || changed;
  }
  if (executor.reregistration_deadline) {
    changed = LoseUnknownStagingTasks(executor, call.subscribe(), forward) || changed;
  }
  AcknowledgeAndForward(executor, response.stream, json, std::move(acknowledgements), changed,
                        forward, std::move(lock));
  return response;
}

void LocalAgent::AcknowledgeAndForward(Executor& executor, std::shared_ptr<ResponseStream> stream,
                                       bool json, std::vector<Event> acknowledgements, bool changed,
                                       std::vector<TaskStatus>& forward,
                                       std::unique_lock<std::mutex> lock) {
  auto acks =
      std::make_shared<Acknowledgements>(std::move(stream), json, std::move(acknowledgements));
  if (changed) {
    acks->AlsoAfter([&](auto written) { return Checkpoint(executor, std::move(written)); });
  }
  const Reports reports = reports_;
  const std::string framework_id = executor.framework.id().value();
  lock.unlock();
  Forward(reports, framework_id, forward);
  acks->Release();
}

bool LocalAgent::LoseUnknownStagingTasks(Executor& executor, const Call::Subscribe& subscribe,
                                         std::vector<TaskStatus>& forward) {
  bool lost_any = false;
  // Back after an agent restart: a task still staging that the
  // executor does not know was lost in the restart.
  executor.reregistration_deadline.reset();
  ++resubscribed_;
  std::set<std::string> known;
  for (const auto& task : subscribe.unacknowledged_tasks()) {
    known.insert(task.task_id().value());
  }
  const bool aware =
      std::any_of(executor.framework.capabilities().begin(),
                  executor.framework.capabilities().end(), [](const auto& c) {
                    return c.type() == mesos::v1::FrameworkInfo::Capability::PARTITION_AWARE;
                  });
  for (auto& [id, task] : executor.tasks) {
    if (task.state != mesos::v1::TASK_STAGING || known.count(id) > 0) {
      continue;
    }
    const TaskState lost = aware ? mesos::v1::TASK_DROPPED : mesos::v1::TASK_LOST;
    task.state = lost;
    lost_any = true;
    forward.push_back(AgentStatus(info_, id, &executor.info.executor_id(), lost,
                                  TaskStatus::REASON_AGENT_RESTARTED,
                                  "the agent restarted before the task reached its executor"));
  }
  return lost_any;
}

HttpServer::Response LocalAgent::Update(Executor& executor, const Call& call,
                                        std::unique_lock<std::mutex> lock) {
  std::vector<TaskStatus> forward;
  std::vector<Event> acknowledgements;
  const bool changed = TakeUpdate(executor, call.update().status(), forward, acknowledgements);
  AcknowledgeAndForward(executor, executor.stream, executor.json, std::move(acknowledgements),
                        changed, forward, std::move(lock));
  return HttpServer::Response::Empty(202);
}

}  // namespace mlaunch::cluster

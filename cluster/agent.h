// LocalAgent: an embedded Mesos agent on its own loopback address. It
// serves the v1 Executor API on POST /api/v1/executor and
// /slave(1)/api/v1/executor (status codes as docs/embedded-cluster.md lists them),
// and, as Mesos agents do, the sandboxes' files: GET /files/browse and
// /files/read, and the operator calls LIST_FILES and READ_FILE on POST
// /api/v1 (cluster/files_http.h), with no authentication (a Mesos agent's
// default).
// Executor calls must carry the token the agent gave that executor
// (cluster/executor_token.h; 401/403 otherwise), unless
// Options::authenticate_executors is off. It runs custom executors as real
// child processes (docs/embedded-cluster.md, "Agents"): one
// sandbox per run under
//   <work_dir>/slaves/<agent_id>/frameworks/<fw>/executors/<id>/runs/<uuid>
// with `stdout` and `stderr` files, the environment of docs/mesos-protocol.md ("The executor's
// environment") and nothing of the cluster's own, each executor in a process group of its own.
//
// Tasks wait on the agent until their executor SUBSCRIBEs, then go out as
// LAUNCH after SUBSCRIBED. Executor UPDATEs are validated (docs/mesos-protocol.md, "The executor
// API"), reported through Reports::status_update and then ACKNOWLEDGED to the executor. KILL and
// SHUTDOWN from the master become executor events; SHUTDOWN is followed, after the grace period, by
// SIGKILL of the process group. An executor that does not subscribe within the registration timeout
// is killed and its tasks fail with REASON_EXECUTOR_REGISTRATION_TIMEOUT; when an executor exits,
// its process group is killed, its unfinished tasks fail with
// REASON_EXECUTOR_TERMINATED and Reports::executor_terminated is called.
// Stop() (and the destructor) kill every process group the agent started.
//
// CommandInfo.uris are fetched into the sandbox before the executor starts
// (cluster/fetch.h: local files, http(s) downloads with Options::http_client,
// archives, the cache in Options::fetch_cache_dir); a failed fetch fails the
// task with REASON_CONTAINER_LAUNCH_FAILED. Fetching runs on the worker
// thread, so a slow download delays the agent's other work (bounded by the
// stall timeout).
//
// A re-SUBSCRIBE replaces the stream; its unacknowledged updates are
// forwarded when new and acknowledged on the new stream.
//
// Checkpointing and recovery (docs/embedded-cluster.md). For a framework with
// FrameworkInfo.checkpoint the agent checkpoints each executor it starts and
// every change of its tasks (cluster/agent_checkpoint.h), written behind its
// lock by a CheckpointWriter; an executor's update is acknowledged to it
// once its checkpoint is on disk, so an update the agent could still lose
// is sent again by the executor when it subscribes again. An agent started
// with Options::agent_id (the same work dir, address and port as before a
// crash) recovers them: an executor whose process still lives (same pid,
// same start time; watched through a pidfd, as it is no child of ours) has
// Options::reregistration_timeout to SUBSCRIBE again, with its
// unacknowledged tasks and updates; until every one did or timed out the
// agent is recovering and answers other executor calls 503 "Agent has not
// finished recovery". On re-subscription, tasks still TASK_STAGING that the
// executor does not list become TASK_LOST (TASK_DROPPED when PARTITION_AWARE)
// with REASON_AGENT_RESTARTED. An executor that does not come back is killed
// (its process group) and its tasks fail with
// REASON_EXECUTOR_REREGISTRATION_TIMEOUT; one found dead fails its tasks with
// REASON_EXECUTOR_TERMINATED. Executors of other frameworks are never
// recovered, and never outlive the agent's process: each gets SIGKILL when
// the worker thread that forked it ends (PR_SET_PDEATHSIG; the worker lives
// as long as the agent), and its process group is registered with the
// orphan guard (cluster/orphan_guard.h), which SIGKILLs the whole group --
// what the executor started included -- when the process ends, however it
// ends. Should both be defeated (the guard SIGKILLed too), the agent
// started again on the same work dir kills them: every executor it starts
// leaves a process record (pid and start time, cluster/agent_checkpoint.h),
// and recovery kills the process group of every recorded executor that is
// still alive (same pid, same start time: a recycled pid is never killed)
// and is not recovered, as a Mesos agent destroys the containers it does
// not recover. Stop() kills every executor, recovered ones included, and
// removes the checkpoints and records.
//
// Command tasks (TaskInfo.command only) run under a command executor the
// agent makes for each (cluster/command_executor.h): executor id = task id,
// Options::launcher_dir's mesos-launch-executor started as any executor is,
// the task's URIs fetched and environment given to it. Its end is not
// reported through Reports::executor_terminated (no FAILURE, as from a Mesos agent).
//
// Not yet: LAUNCH_GROUP, ftp/hdfs/s3 URIs, executor heartbeats.
//
// Threads: the HTTP server's threads and one worker thread (master
// requests, timers, reaping children), which sleeps until a request comes,
// an executor ends (its pidfd) or a deadline is due: an idle agent does not
// wake. Handle() only queues, so it may be
// called under the master's lock. Reports are called without the agent's
// lock held, from the worker or a server thread.
#ifndef MLAUNCH_CLUSTER_AGENT_H_
#define MLAUNCH_CLUSTER_AGENT_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "cluster/checkpoint_writer.h"
#include "cluster/container_engine.h"
#include "cluster/executor_token.h"
#include "cluster/master_http.h"
#include "cluster/port_leases.h"
#include "cluster/sandbox_files.h"
#include "cluster/sandbox_gc.h"
#include "common/http_client.h"
#include "common/http_server.h"
#include "common/status.h"
#include "mesos/v1/executor/executor.pb.h"

namespace mlaunch::cluster {

class LocalAgent : public Agent {
 public:
  // How the agent talks back to its master.
  struct Reports {
    std::function<void(const std::string& framework_id, mesos::v1::TaskStatus status)>
        status_update;
    std::function<void(const std::string& framework_id, const mesos::v1::ExecutorID& executor_id,
                       int wait_status)>
        executor_terminated;
    std::function<void(const std::string& framework_id, const mesos::v1::ExecutorID& executor_id,
                       std::string data)>
        executor_message;
  };

  struct Options {
    std::string address = "127.0.0.2";  // a loopback IP of its own
    std::uint16_t port = 0;             // 0: any free port
    std::string work_dir;               // must exist or be creatable
    std::chrono::milliseconds registration_timeout = std::chrono::minutes(1);
    std::chrono::milliseconds shutdown_grace_period = std::chrono::seconds(5);
    // Downloads http(s) URIs; null: they fail the task. Not owned: must
    // outlive the agent.
    HttpClient* http_client = nullptr;
    // The fetcher's cache (cluster/fetch_cache.h), may be shared by the
    // agents of a cluster; empty: URIs are fetched as if not `cache`.
    std::string fetch_cache_dir;
    std::chrono::milliseconds fetcher_stall_timeout = std::chrono::minutes(1);
    // --executor_reregistration_timeout; also the executors'
    // MESOS_SUBSCRIPTION_BACKOFF_MAX, so they retry within it.
    std::chrono::milliseconds reregistration_timeout = std::chrono::seconds(2);
    std::chrono::milliseconds recovery_timeout = std::chrono::minutes(15);
    // Where mesos-launch-executor is, which runs as the command executor of
    // tasks that have only TaskInfo.command (as Mesos' --launcher_dir holds
    // mesos-executor). Empty, or without that program: such tasks fail with
    // REASON_CONTAINER_LAUNCH_FAILED.
    std::string launcher_dir;
    // Executors are SIGKILLed when the agent's process ends, however it ends
    // (mesos-launch's embedded cluster); otherwise those of checkpointing
    // frameworks outlive a crash to be recovered, as with a Mesos agent (the
    // others always die with the agent).
    bool executors_die_with_agent = false;
    // Set when the agent starts again with an id it had before: its
    // checkpoints under work_dir are recovered (then use ReregisterWith).
    std::string agent_id;
    // Called once (from the worker, without locks) when recovery is over:
    // how many recovered executors subscribed again, of how many found.
    std::function<void(std::size_t resubscribed, std::size_t recovered)> on_recovered;
    // Executors get a token and must send it with every call
    // (cluster/executor_token.h), as with Mesos' --authenticate_http_executors.
    bool authenticate_executors = true;
    // When the sandboxes of ended executors are removed (SandboxGc).
    SandboxGc::Options sandbox_gc;
    // Where tasks' ports are leased between processes (cluster/port_leases.h;
    // DefaultPortLeaseDir() for a real agent); empty: not leased.
    std::string port_lease_dir;
    // Connections the executor endpoint holds at once. Every executor keeps
    // one open (its subscription) and opens another for each call, so this
    // bounds the executors an agent can run; beyond it a connection gets 503
    // and a registration timeout says why.
    std::size_t max_connections = 4096;
  };

  // Recovers the checkpoints (with Options::agent_id), then binds the
  // executor endpoint. Fails when a checkpoint cannot be read or the
  // address and port cannot be bound.
  static Result<std::unique_ptr<LocalAgent>> Start(Options options);

  LocalAgent(const LocalAgent&) = delete;
  LocalAgent& operator=(const LocalAgent&) = delete;
  ~LocalAgent() override;  // Stop()

  // Sets who the agent is (AgentInfo with its id, as the master assigned
  // it) and where it reports. Call once, before the master sends requests.
  void Attach(mesos::v1::AgentInfo info, Reports reports);

  // Registers with `master` and attaches to it. `master` must outlive
  // Stop(). Returns the agent id.
  std::string RegisterWith(Master& master, mesos::v1::AgentInfo info);
  // The same for an agent started with Options::agent_id: it re-registers
  // under that id with the executors and tasks it recovered.
  void ReregisterWith(Master& master, mesos::v1::AgentInfo info);

  // The executors (and their tasks) of checkpointing frameworks the agent
  // recovered and still has.
  std::vector<RecoveredExecutor> Recovered() const;

  // How many recorded executors recovery found alive but could not
  // recover, and killed.
  std::size_t KilledAtRecovery() const;

  // True while recovered executors may still SUBSCRIBE again.
  bool Recovering() const;

  // Kills every executor's process group, waits for the executors, ends
  // every stream and stops the server and the worker. Idempotent.
  void Stop();

  void Handle(const AgentRequest& request) override;

  const std::string& address() const { return options_.address; }
  std::uint16_t port() const;
  std::string endpoint() const;  // "ip:port"

  // Blocks until every request Handle() took so far has been acted upon
  // (executors started, events sent); false after `timeout`.
  bool WaitForRequests(std::chrono::milliseconds timeout);
  // Blocks until every checkpoint write and removal queued so far is done.
  void WaitForCheckpoints() { checkpoints_.Flush(); }

  // The process (and process group) id of a running executor.
  std::optional<pid_t> ExecutorPid(const std::string& framework_id,
                                   const std::string& executor_id) const;

  struct Executor;
  struct Work;

 private:
  explicit LocalAgent(Options options);
  Status Recover();
  void AttachReports(Master& master, const std::string& id);
  // Queues the executor's checkpoint when its framework checkpoints
  // (CheckpointWriter); then true, and `written` runs once it is on disk
  // (or failed, the previous one kept). False, `written` dropped, when
  // there is nothing to checkpoint. REQUIRES: mutex_ held (all four).
  bool Checkpoint(const Executor& executor, std::function<void()> written = {});
  // A started executor: its process record and the orphan guard when it
  // dies with the agent (on failure neither is left), then its checkpoint.
  Status RecordStart(const Executor& executor);
  // The ids of the executor's process record (no pid, start time or session).
  static ProcessRecord RecordOf(const Executor& executor);
  // Removes what is on disk of an executor that ended: its process record
  // at once, its checkpoint through the writer. REQUIRES: mutex_ held.
  void Forget(const Executor& executor);
  // At recovery: kills (process group, SIGKILL) every recorded executor
  // that is not recovered and removes its record.
  Status KillUnrecovered(const std::string& meta_dir);
  // Executors of frameworks that do not checkpoint cannot be recovered,
  // so they never outlive the agent; with Options::executors_die_with_agent
  // none does.
  bool DiesWithAgent(const mesos::v1::FrameworkInfo& framework) const;
  bool RecoveringLocked() const;
  HttpServer::Response Serve(const HttpServer::Request& request);
  // /files/* and the agent's operator API (cluster/files_http.h).
  HttpServer::Response ServeSandboxFiles(const HttpServer::Request& request);
  // /api/v1/executor: the token, the call's checks, then the call.
  HttpServer::Response ServeExecutorCall(const HttpServer::Request& request);
  // An executor's SUBSCRIBE and UPDATE, the call checked; each unlocks
  // `lock` (mutex_) before forwarding updates to the master.
  HttpServer::Response Subscribe(Executor& executor, const mesos::v1::executor::Call& call,
                                 bool json, std::unique_lock<std::mutex> lock);
  HttpServer::Response Update(Executor& executor, const mesos::v1::executor::Call& call,
                              std::unique_lock<std::mutex> lock);
  // Acknowledges the executor's updates on `stream` once the checkpoint
  // they changed is written (at once when `changed` is false), and forwards
  // the new ones in `forward` to the master with `lock` (mutex_) released.
  void AcknowledgeAndForward(Executor& executor, std::shared_ptr<ResponseStream> stream, bool json,
                             std::vector<mesos::v1::executor::Event> acknowledgements, bool changed,
                             std::vector<mesos::v1::TaskStatus>& forward,
                             std::unique_lock<std::mutex> lock);
  // An executor back after the agent restarted: its tasks still staging
  // that it does not know were lost in the restart (TASK_LOST, or
  // TASK_DROPPED for a partition-aware framework), added to `forward`;
  // true when there were any. REQUIRES: mutex_ held.
  bool LoseUnknownStagingTasks(Executor& executor,
                               const mesos::v1::executor::Call::Subscribe& subscribe,
                               std::vector<mesos::v1::TaskStatus>& forward);
  void WorkLoop();
  // REQUIRES: mutex_ held (all four).
  void Process(const AgentRequest& request, Work& work);
  void Launch(const LaunchTasks& launch, Work& work);
  // One task of a launch: to the running executor it names, or to a new
  // one; a task that cannot run gets its TASK_FAILED in `work`.
  void LaunchTask(const LaunchTasks& launch, const mesos::v1::TaskInfo& task, Work& work);
  // The task given to a running executor (LAUNCH now, or once it has
  // subscribed).
  Status AddTask(Executor& executor, const mesos::v1::TaskInfo& task);
  // A new executor for `task`: its ports leased, its sandbox made, its URIs
  // fetched, its process started and recorded. Fails naming the cause,
  // with nothing left running.
  Result<std::unique_ptr<Executor>> StartExecutor(const LaunchTasks& launch,
                                                  const mesos::v1::ExecutorInfo& info,
                                                  const mesos::v1::TaskInfo& task);
  // runs/<container id> (executor.sandbox, set here), and runs/latest to it.
  Status MakeSandbox(Executor& executor) const;
  // The environment the executor's process starts with
  // (cluster/agent_environment.h).
  Result<std::map<std::string, std::string>> ExecutorEnv(const Executor& executor) const;
  // The ports of `task` (and of its executor) leased for it.
  Result<std::vector<PortLease>> LeaseTaskPorts(const mesos::v1::TaskInfo& task) const;
  void Shutdown(Executor& executor);
  // SIGKILL to the executor's process group, and its container removed
  // when it runs in one. REQUIRES: mutex_ held.
  void KillExecutor(Executor& executor);
  // The container engine, found on first use (podman); an error says what
  // to install. REQUIRES: mutex_ held.
  Result<const ContainerEngine*> Engine();
  // The label of every container this agent starts (its work dir).
  std::string ContainerLabel() const;
  // The executor's process as `podman run` of its ContainerInfo, after the
  // checks a launch needs (the engine, the image); sets executor.container.
  // REQUIRES: mutex_ held.
  Result<mesos::v1::CommandInfo> ContainerCommand(Executor& executor,
                                                  const mesos::v1::TaskInfo& task,
                                                  const std::map<std::string, std::string>& env);
  // Deadlines, and the executors whose pidfd said they ended (or that have
  // none) reaped.
  void Tick(std::chrono::steady_clock::time_point now, const std::unordered_set<int>& ended_pidfds,
            Work& work);
  // The earliest deadline Tick() acts on, if any. REQUIRES: mutex_ held.
  std::optional<std::chrono::steady_clock::time_point> NextDeadlineLocked() const;
  // Wakes the worker (a request queued, a state it waits on changed).
  void Wake();
  // An executor's update (validated): to forward when new, and its
  // ACKNOWLEDGED event; true when a task's state changed (a checkpoint is
  // due). REQUIRES: mutex_ held.
  bool TakeUpdate(Executor& executor, mesos::v1::TaskStatus status,
                  std::vector<mesos::v1::TaskStatus>& forward,
                  std::vector<mesos::v1::executor::Event>& acknowledgements);
  // REQUIRES: mutex_ not held (both).
  void Forward(const Reports& reports, const std::string& framework_id,
               std::vector<mesos::v1::TaskStatus>& forward);
  void Flush(const Reports& reports, Work& work);

  Options options_;
  std::optional<ExecutorTokens> tokens_;   // with authenticate_executors
  std::optional<ContainerEngine> engine_;  // once a container was asked for
  std::unique_ptr<HttpServer> server_;
  // Connections the endpoint refused at max_connections (server threads).
  std::atomic<std::uint64_t> refused_connections_{0};
  Reports reports_;
  mesos::v1::AgentInfo info_;

  // Requests from the master, taken by the worker. Never held with mutex_.
  std::mutex queue_mutex_;
  int wake_fd_ = -1;  // eventfd: the worker polls it with the executors' pidfds
  std::deque<AgentRequest> queue_;
  std::condition_variable processed_wake_;
  std::uint64_t received_ = 0;   // requests queued by Handle()
  std::uint64_t processed_ = 0;  // requests the worker acted upon
  bool stopping_ = false;

  mutable std::mutex mutex_;  // the executors
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Executor>>
      executors_;          // by (framework id, executor id)
  bool attached_ = false;  // Tick() waits for somewhere to report to
  // Where the master's status page comes from (Master::PageOrigins()): it
  // may read the sandboxes' files from a browser.
  std::vector<std::string> page_origins_;
  SandboxGc gc_;                        // guarded by mutex_
  std::size_t recovered_ = 0;           // executors found in checkpoints
  std::size_t resubscribed_ = 0;        // of those, subscribed again
  std::size_t killed_at_recovery_ = 0;  // recorded, not recovered, still alive
  bool recovery_reported_ = false;
  std::thread worker_;
  bool stopped_ = false;
  // Last: its thread runs callbacks that use the members above, so it is
  // joined first.
  CheckpointWriter checkpoints_;
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_AGENT_H_

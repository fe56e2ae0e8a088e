// Master: the embedded Mesos master on the network. It serves
//   POST /api/v1/scheduler and /master/api/v1/scheduler (v1 Scheduler API,
//        status codes in the order a Mesos master evaluates them),
//   POST /api/v1 and /master/api/v1: the operator API (cluster/operator_api.h)
//        with the same HTTP Basic authentication: the read-only calls,
//        SUBSCRIBE (a RecordIO stream of its events, HEARTBEAT at once and
//        every Options::heartbeat_interval) and MARK_AGENT_GONE
//        (MasterCore::MarkAgentGone; the agent is then forgotten),
//   GET  /master/state (and /state): a JSON subset of Mesos' state,
//   GET  /metrics/snapshot: Mesos' metric names and values, as JSON,
//   GET  /version (and /master/version): VersionInfo as JSON,
//   GET  /health (and /master/health): 200, empty body,
//   GET  / (and /status.css, /status.js): the status page
//        (cluster/status_page.h),
// with the project's HttpServer, and runs the pure MasterCore: every call,
// agent report and clock tick goes through one mutex into the core, and the
// core's output is moved onto subscription streams (RecordIO, protobuf or
// JSON per Accept) and to agents.
//
// Agents are in-process objects implementing Agent; they report back through
// StatusUpdate(), ExecutorTerminated() and ExecutorMessage().
//
// Leadership: a master leads unless Options::elected says an election
// decides (mesos-launch-cluster --zk); then it starts with no leader known
// and is told the outcome through SetLeadership(). Only the leader serves
// the scheduler endpoint. Another master answers 307 with
// `Location: //<leader host:port><request path>` (as a Mesos master redirects), or
// 503 "No leader elected" while none is known; a leader that stops leading
// ends every subscription stream, so schedulers go and find the new one.
// The embedded master keeps no replicated registry: a new leader learns
// frameworks as they re-subscribe, and knows only its own agents.
//
// HTTPS: with Options::tls_cert_file and tls_key_file the master serves only
// HTTPS (url() says https://). The agents' executor API stays plain HTTP:
// it is reached only by executors on loopback, never by schedulers.
//
// Threads: the server's threads and one ticker thread (heartbeats,
// allocation, retries, failover timeouts), which sleeps until the core has
// something due (MasterCore::NextTick) or changes, so an idle master does
// not wake. All public methods are thread-safe. Start()/Stop() from one
// owning thread.
//
// Time: the system clock (UnixMillis), as a Mesos master's: the times the
// master sends (status timestamps, registration times) are wall-clock
// times, and its deadlines (heartbeats, allocation, failover timeouts) are
// counted on the same clock, so a step of the system time moves them too.
// MasterCore itself is given the time at each call (tests pass their own).
#ifndef MLAUNCH_CLUSTER_MASTER_HTTP_H_
#define MLAUNCH_CLUSTER_MASTER_HTTP_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/http_rules.h"
#include "cluster/master_core.h"
#include "cluster/operator_api.h"
#include "common/http_server.h"
#include "common/status.h"

namespace mlaunch::cluster {

// An agent as the master sees it.
class Agent {
 public:
  virtual ~Agent() = default;
  // One request from the master, in the order the master decided them.
  // Called with the master's lock held: it must not block, and must not
  // call back into the Master before returning (queue the work instead).
  virtual void Handle(const AgentRequest& request) = 0;
};

class Master {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port
    std::string hostname = "localhost";
    UnixMillis heartbeat_interval = 15'000;
    UnixMillis allocation_interval = 1'000;
    UnixMillis status_update_retry_min = 10'000;
    // Empty: no authentication. Otherwise HTTP Basic with one of these.
    std::vector<BasicCredentials> credentials;
    // HTTPS when both are set: PEM certificate chain and private key files.
    std::string tls_cert_file;
    std::string tls_key_file;
    // A master started again over a registry of agents: until
    // FinishRecovery() (once they re-registered) the scheduler endpoint
    // answers 503 "Master has not finished recovery", so no framework
    // reconciles against a master that has not learnt its tasks back.
    bool recovering = false;
    // True: leadership is decided elsewhere (see above); until
    // SetLeadership() the scheduler endpoint answers 503.
    bool elected = false;
    // Agents marked gone before a restart (MasterCore::RememberGoneAgent).
    std::vector<std::string> gone_agents;
    // Called once an operator's MARK_AGENT_GONE has taken effect, on a server
    // thread and without the master's lock (so it may block, e.g. to write
    // the registry), before the 200 is sent; must not call back into the
    // Master.
    std::function<void(const std::string& agent_id)> on_agent_gone;
    // Connections the master serves at once, and how many of them may be
    // held by SUBSCRIBE streams: the rest stay for /health, /master/state
    // and the calls of the frameworks subscribed. A SUBSCRIBE beyond a limit
    // gets 503 naming it (clients retry), as does one beyond the streams
    // one client address, or one principal, may hold.
    std::size_t max_connections = 256;
    std::size_t max_streams = 192;
    std::size_t max_streams_per_address = 32;
    std::size_t max_streams_per_principal = 32;
    // What GET_VERSION and /version say of the build beside the Mesos
    // version it speaks: the git commit, and our own version.
    std::string git_sha;
    std::string build_version;
  };

  // The outcome of an election, as this master should act on it.
  struct Leadership {
    enum class Role { kLeading, kFollowing, kNoLeader };
    Role role = Role::kLeading;
    std::string leader;  // kFollowing: the leader's "host:port"
  };

  // Binds and starts serving. Fails when the address cannot be bound or the
  // TLS files cannot be used.
  static Result<std::unique_ptr<Master>> Start(Options options);

  Master(const Master&) = delete;
  Master& operator=(const Master&) = delete;
  ~Master();  // Stop()

  // Stops the server (ending every stream) and the ticker. Idempotent.
  void Stop();

  std::string url() const;  // "http://127.0.0.1:PORT" (https:// with TLS)
  std::uint16_t port() const;
  mesos::v1::MasterInfo master_info() const;

  // Registers an agent; `agent` must outlive the Master (or Stop()).
  std::string AddAgent(mesos::v1::AgentInfo info, std::string ip, Agent* agent);
  // An agent known before a restart, with what it recovered
  // (MasterCore::ReregisterAgent); `agent` as for AddAgent.
  void ReregisterAgent(mesos::v1::AgentInfo info, std::string ip,
                       const std::vector<RecoveredExecutor>& executors, Agent* agent);
  void FinishRecovery();
  void SetLeadership(Leadership leadership);

  // Reports from agents.
  void StatusUpdate(const std::string& agent_id, const std::string& framework_id,
                    mesos::v1::TaskStatus status);
  void ExecutorTerminated(const std::string& agent_id, const std::string& framework_id,
                          const mesos::v1::ExecutorID& executor_id, int wait_status);
  void ExecutorMessage(const std::string& agent_id, const std::string& framework_id,
                       const mesos::v1::ExecutorID& executor_id, std::string data);

  // The JSON of GET /master/state.
  std::string StateText() const;

  // The origins the status page is loaded from ("http://127.0.0.1:5050",
  // with the master's address, its hostname and localhost): the agents let
  // these read sandbox files from a browser.
  std::vector<std::string> PageOrigins() const;

 private:
  struct Stream {
    std::shared_ptr<ResponseStream> stream;
    bool json = false;
    std::string address;                   // the client's IP
    std::optional<std::string> principal;  // when authenticated
  };
  // Why one more subscription stream from `address` and `principal` would
  // pass a limit of Options; "" when it would not. REQUIRES: mutex_ held.
  std::string StreamLimitReached(const std::string& address,
                                 const std::optional<std::string>& principal) const;

  explicit Master(Options options);
  HttpServer::Response Serve(const HttpServer::Request& request);
  HttpServer::Response Scheduler(const HttpServer::Request& request);
  // What both APIs answer before reading a call, in Mesos' order:
  // 401 (authentication, `realm`), 307 to the leader or 503 (no leader,
  // recovering). Nothing when the call may be read (cluster/read_call.h
  // then checks the method, the Content-Type and the body).
  std::optional<HttpServer::Response> Refuse(const HttpServer::Request& request, const char* realm,
                                             std::optional<std::string>* principal);
  // POST /api/v1 (and /master/api/v1), the operator API: the answer in
  // the media Accept asks for (JSON without one); MARK_AGENT_GONE answers
  // 200, or 404 for an agent not registered; 501 for calls not served. A
  // master that does not lead answers 307 or 503 as for the scheduler API.
  HttpServer::Response Operator(const HttpServer::Request& request);
  // The operator SUBSCRIBE: SUBSCRIBED with the whole state, then HEARTBEAT.
  HttpServer::Response OperatorSubscribe(const HttpServer::Request& request, bool json,
                                         const std::optional<std::string>& principal);
  // The answer of a GET endpoint (health, state, metrics, version, the
  // page), or nothing for a path that is none.
  std::optional<HttpServer::Response> ServeReadOnly(std::string_view path);
  // Sends the operator streams the events of what changed since the last
  // call, then remembers the view. REQUIRES: mutex_ held.
  void Publish();
  // HEARTBEAT to every operator stream. REQUIRES: mutex_ held.
  void HeartbeatOperators();
  OperatorFacts Facts() const;  // REQUIRES: mutex_ held
  // MARK_AGENT_GONE: 200 once done, 404 for an agent not registered.
  HttpServer::Response MarkAgentGone(const mesos::v1::master::Call& call);
  // HTTP Basic against Options::credentials (always true without them).
  bool Authenticate(const HttpServer::Request& request,
                    std::optional<std::string>* principal) const;
  static HttpServer::Response Unauthorized(const char* realm);
  void Deliver(const MasterOutput& output);  // REQUIRES: mutex_ held
  void StreamEnded(const std::string& stream_id);
  void TickLoop();
  UnixMillis Now() const;

  Options options_;
  std::unique_ptr<HttpServer> server_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool recovering_ = false;
  Leadership leadership_;
  std::unique_ptr<MasterCore> core_;  // set once the port is known
  std::map<std::string, Stream> streams_;
  // Operator SUBSCRIBE streams by id; the view they were last told of, and
  // when they are next due a HEARTBEAT.
  std::map<std::string, Stream> operator_streams_;
  MasterView published_;
  UnixMillis next_operator_heartbeat_ = 0;
  int next_operator_stream_ = 0;
  UnixMillis started_at_ = 0;
  std::map<std::string, Agent*> agents_;
  std::thread ticker_;
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_MASTER_HTTP_H_

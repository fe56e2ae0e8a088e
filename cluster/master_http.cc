#include "cluster/master_http.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "cluster/json_proto.h"
#include "cluster/read_call.h"
#include "cluster/state_json.h"
#include "cluster/status_page.h"
#include "common/json_text.h"
#include "common/random_ids.h"
#include "common/recordio.h"
#include "mesos/v1/master/master.pb.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {
namespace {

using mesos::v1::scheduler::Call;

// The IP of a peer "ip:port" or "[ipv6]:port".
std::string AddressOf(const std::string& peer) {
  const std::size_t colon = peer.rfind(':');
  std::string ip = colon == std::string::npos ? peer : peer.substr(0, colon);
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
  return ip;
}

}  // namespace

Master::Master(Options options) : options_(std::move(options)), recovering_(options_.recovering) {
  if (options_.elected) leadership_.role = Leadership::Role::kNoLeader;
}

Result<std::unique_ptr<Master>> Master::Start(Options options) {
  std::unique_ptr<Master> master(new Master(std::move(options)));
  Master* self = master.get();
  HttpServer::Options server_options;
  server_options.address = self->options_.address;
  server_options.port = self->options_.port;
  server_options.threads = 4;
  server_options.max_connections = self->options_.max_connections;
  server_options.tls_cert_file = self->options_.tls_cert_file;
  server_options.tls_key_file = self->options_.tls_key_file;
  auto server = HttpServer::Start(
      server_options, [self](const HttpServer::Request& request) { return self->Serve(request); });
  if (!server.ok()) return server.status();
  MasterOptions core;
  core.new_uuid = NewUuidBytes;
  core.master_id = UuidText(core.new_uuid());
  core.hostname = self->options_.hostname;
  core.ip = self->options_.address;
  core.port = server.value()->port();
  core.heartbeat_interval = self->options_.heartbeat_interval;
  core.allocation_interval = self->options_.allocation_interval;
  core.status_update_retry_min = self->options_.status_update_retry_min;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->started_at_ = self->Now();
    self->core_ = std::make_unique<MasterCore>(std::move(core));
    for (const std::string& gone : self->options_.gone_agents) self->core_->RememberGoneAgent(gone);
    self->server_ = std::move(server).value();
  }
  self->ticker_ = std::thread([self] { self->TickLoop(); });
  return master;
}

Master::~Master() { Stop(); }

void Master::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !ticker_.joinable() && !server_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::unique_ptr<HttpServer> server;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    server = std::move(server_);
  }
  if (server) server->Stop();
}

std::string Master::url() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return server_ ? server_->url() : std::string();
}

std::uint16_t Master::port() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return server_ ? server_->port() : 0;
}

mesos::v1::MasterInfo Master::master_info() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return core_->master_info();
}

UnixMillis Master::Now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Master::AddAgent(mesos::v1::AgentInfo info, std::string ip, Agent* agent) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string id = core_->AddAgent(std::move(info), std::move(ip));
  agents_[id] = agent;
  Publish();
  wake_.notify_all();
  return id;
}

void Master::ReregisterAgent(mesos::v1::AgentInfo info, std::string ip,
                             const std::vector<RecoveredExecutor>& executors, Agent* agent) {
  std::lock_guard<std::mutex> lock(mutex_);
  agents_[info.id().value()] = agent;
  Deliver(core_->ReregisterAgent(std::move(info), std::move(ip), executors));
  wake_.notify_all();
}

void Master::FinishRecovery() {
  std::lock_guard<std::mutex> lock(mutex_);
  recovering_ = false;
}

void Master::SetLeadership(Leadership leadership) {
  std::vector<std::shared_ptr<ResponseStream>> ending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool was_leading = leadership_.role == Leadership::Role::kLeading;
    leadership_ = std::move(leadership);
    if (!was_leading || leadership_.role == Leadership::Role::kLeading) return;
    // No longer the leader: the subscriptions end here; StreamEnded() tells
    // the core each framework disconnected.
    for (const auto* streams : {&streams_, &operator_streams_}) {
      for (const auto& [id, stream] : *streams) ending.push_back(stream.stream);
    }
  }
  for (const auto& stream : ending) stream->Close();
}

void Master::StatusUpdate(const std::string& agent_id, const std::string& framework_id,
                          mesos::v1::TaskStatus status) {
  std::lock_guard<std::mutex> lock(mutex_);
  Deliver(core_->StatusUpdate(agent_id, framework_id, std::move(status), Now()));
}

void Master::ExecutorTerminated(const std::string& agent_id, const std::string& framework_id,
                                const mesos::v1::ExecutorID& executor_id, int wait_status) {
  std::lock_guard<std::mutex> lock(mutex_);
  Deliver(core_->ExecutorTerminated(agent_id, framework_id, executor_id, wait_status, Now()));
}

void Master::ExecutorMessage(const std::string& agent_id, const std::string& framework_id,
                             const mesos::v1::ExecutorID& executor_id, std::string data) {
  std::lock_guard<std::mutex> lock(mutex_);
  Deliver(core_->ExecutorMessage(agent_id, framework_id, executor_id, std::move(data)));
}

std::string Master::StateText() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return JsonText(StateJson(core_->master_info(), core_->View()));
}

void Master::Deliver(const MasterOutput& output) {
  for (const StreamEvent& event : output.events) {
    auto it = streams_.find(event.stream_id);
    if (it == streams_.end()) continue;
    const std::string record =
        it->second.json ? JsonText(ProtoToJson(event.event)) : event.event.SerializeAsString();
    it->second.stream->Write(RecordIOEncode(record));
  }
  for (const std::string& stream_id : output.close_streams) {
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) continue;
    it->second.stream->Close();
    streams_.erase(it);
  }
  for (const AgentRequest& request : output.agent_requests) {
    const std::string& agent_id =
        std::visit([](const auto& r) -> const std::string& { return r.agent_id; }, request);
    auto it = agents_.find(agent_id);
    if (it != agents_.end() && it->second != nullptr) it->second->Handle(request);
  }
  Publish();
  wake_.notify_all();  // the core changed: the ticker looks at what is due next
}

OperatorFacts Master::Facts() const {
  OperatorFacts facts;
  facts.master = core_->master_info();
  facts.version.set_version(facts.master.version());
  if (!options_.git_sha.empty()) facts.version.set_git_sha(options_.git_sha);
  facts.started_at = started_at_;
  facts.now = Now();
  facts.elected = leadership_.role == Leadership::Role::kLeading;
  return facts;
}

void Master::Publish() {
  if (operator_streams_.empty()) return;
  MasterView now = core_->View();
  for (const auto& event : OperatorChanges(published_, now, core_->master_info())) {
    for (auto& [id, stream] : operator_streams_) {
      stream.stream->Write(RecordIOEncode(EncodeMessage(event, stream.json)));
    }
  }
  published_ = std::move(now);
}

void Master::HeartbeatOperators() {
  mesos::v1::master::Event heartbeat;
  heartbeat.set_type(mesos::v1::master::Event::HEARTBEAT);
  for (auto& [id, stream] : operator_streams_) {
    stream.stream->Write(RecordIOEncode(EncodeMessage(heartbeat, stream.json)));
  }
  next_operator_heartbeat_ = Now() + options_.heartbeat_interval;
}

std::vector<std::string> Master::PageOrigins() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!server_) return {};
  const std::string scheme = options_.tls_cert_file.empty() ? "http://" : "https://";
  const std::string port = ":" + std::to_string(server_->port());
  std::vector<std::string> origins;
  for (const std::string& host : {options_.address, options_.hostname, std::string("localhost")}) {
    const std::string origin = scheme + host + port;
    if (std::find(origins.begin(), origins.end(), origin) == origins.end()) {
      origins.push_back(origin);
    }
  }
  return origins;
}

void Master::StreamEnded(const std::string& stream_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  streams_.erase(stream_id);
  Deliver(core_->StreamClosed(stream_id, Now()));
}

void Master::TickLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    Deliver(core_->Tick(Now()));
    if (!operator_streams_.empty() && Now() >= next_operator_heartbeat_) HeartbeatOperators();
    // Sleep until the core has something due (or an operator stream its
    // heartbeat); whatever changes the core (a call, an agent, a report)
    // wakes this thread through Deliver(), and it looks again.
    std::optional<UnixMillis> next = core_->NextTick();
    if (!operator_streams_.empty()) {
      next = std::min(next.value_or(next_operator_heartbeat_), next_operator_heartbeat_);
    }
    if (!next) {
      wake_.wait(lock);
    } else if (const UnixMillis wait = *next - Now(); wait > 0) {
      wake_.wait_for(lock, std::chrono::milliseconds(wait));
    }
  }
}

HttpServer::Response Master::Serve(const HttpServer::Request& request) {
  const std::string_view path = request.path();
  if (path == "/api/v1/scheduler" || path == "/master/api/v1/scheduler") {
    return Scheduler(request);
  }
  if (path == "/api/v1" || path == "/master/api/v1") return Operator(request);
  std::optional<HttpServer::Response> answer = ServeReadOnly(path);
  if (!answer) return HttpServer::Response::Empty(404);
  if (request.method != "GET" && request.method != "HEAD") {
    auto response =
        HttpServer::Response::Text(405, "this endpoint takes GET or HEAD, not " + request.method);
    response.headers.Set("Allow", "GET, HEAD");
    return response;
  }
  return *answer;
}

std::optional<HttpServer::Response> Master::ServeReadOnly(std::string_view path) {
  if (path == "/health" || path == "/master/health") return HttpServer::Response::Empty(200);
  if (path == "/master/state" || path == "/state" || path == "/master/state.json" ||
      path == "/state.json") {
    HttpServer::Response response;
    response.headers.Set("Content-Type", kJsonMedia);
    response.body = StateText();
    return response;
  }
  if (const StatusPageFile* file = FindStatusPageFile(path)) {
    HttpServer::Response response;
    response.headers.Set("Content-Type", std::string(file->media_type) + "; charset=utf-8");
    response.headers.Set("Cache-Control", "no-cache");
    response.headers.Set("X-Content-Type-Options", "nosniff");
    // Scripts and styles of its own only; it talks to this master and
    // reads files from the agents (other ports), nothing else.
    response.headers.Set("Content-Security-Policy",
                         "default-src 'self'; connect-src 'self' http: https:; "
                         "img-src 'self' data:; frame-ancestors 'none'");
    response.body = std::string(file->body);
    return response;
  }
  const bool metrics = path == "/metrics/snapshot";
  const bool version = path == "/version" || path == "/master/version";
  if (!metrics && !version) return std::nullopt;
  nlohmann::json body;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const OperatorFacts facts = Facts();
    if (metrics) {
      body = MetricsJson(OperatorMetrics(core_->View(), facts));
    } else {
      body = ProtoToJson(facts.version);
      if (!options_.build_version.empty()) body["mesos_launch_version"] = options_.build_version;
    }
  }
  HttpServer::Response response;
  response.headers.Set("Content-Type", kJsonMedia);
  response.body = JsonText(body);
  return response;
}

bool Master::Authenticate(const HttpServer::Request& request,
                          std::optional<std::string>* principal) const {
  if (options_.credentials.empty()) return true;
  std::optional<BasicCredentials> given;
  if (auto header = request.headers.Get("Authorization")) {
    given = ParseBasicAuthorization(*header);
  }
  const bool valid =
      given &&
      std::any_of(options_.credentials.begin(), options_.credentials.end(), [&](const auto& c) {
        return c.principal == given->principal && c.secret == given->secret;
      });
  if (valid) *principal = given->principal;
  return valid;
}

HttpServer::Response Master::Unauthorized(const char* realm) {
  HttpServer::Response response = HttpServer::Response::Empty(401);
  response.headers.Set("WWW-Authenticate", std::string("Basic realm=\"") + realm + "\"");
  return response;
}

std::optional<HttpServer::Response> Master::Refuse(const HttpServer::Request& request,
                                                   const char* realm,
                                                   std::optional<std::string>* principal) {
  // 0: authentication, when credentials are configured.
  if (!Authenticate(request, principal)) return Unauthorized(realm);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // 1: not the leader. 2: still recovering.
    if (leadership_.role == Leadership::Role::kFollowing) {
      HttpServer::Response response = HttpServer::Response::Empty(307);
      // The whole target: a query string the caller sent goes with it.
      response.headers.Set("Location", "//" + leadership_.leader + request.target);
      return response;
    }
    if (leadership_.role == Leadership::Role::kNoLeader) {
      return HttpServer::Response::Text(503, "no master is elected leader yet; try again shortly");
    }
    if (recovering_) {
      return HttpServer::Response::Text(
          503, "the master is still recovering its state; try again shortly");
    }
  }
  // 3-5: the method, Content-Type and body come next (ReadCall).
  return std::nullopt;
}

HttpServer::Response Master::Operator(const HttpServer::Request& request) {
  std::optional<std::string> principal;
  if (auto refused = Refuse(request, "mesos-master-readwrite", &principal)) return *refused;
  mesos::v1::master::Call call;
  const auto is_json = ReadCall(request, &call);
  if (const auto* refused = std::get_if<HttpServer::Response>(&is_json)) return *refused;
  if (call.type() == mesos::v1::master::Call::MARK_AGENT_GONE) return MarkAgentGone(call);
  const auto answer_json = AnswerIsJson(request);
  if (const auto* refused = std::get_if<HttpServer::Response>(&answer_json)) return *refused;
  const bool json = std::get<bool>(answer_json);
  if (call.type() == mesos::v1::master::Call::SUBSCRIBE) {
    return OperatorSubscribe(request, json, principal);
  }
  OperatorAnswer answer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    answer = AnswerOperatorCall(call, core_->View(), Facts());
  }
  if (answer.status != 200) return HttpServer::Response::Text(answer.status, answer.error);
  HttpServer::Response response;
  response.headers.Set("Content-Type", json ? kJsonMedia : kProtobufMedia);
  response.body = EncodeMessage(answer.response, json);
  return response;
}

HttpServer::Response Master::OperatorSubscribe(const HttpServer::Request& request, bool json,
                                               const std::optional<std::string>& principal) {
  auto stream = std::make_shared<ResponseStream>();
  const std::string address = AddressOf(request.peer);
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return HttpServer::Response::Text(503, "Master is stopping");
    if (std::string limit = StreamLimitReached(address, principal); !limit.empty()) {
      return HttpServer::Response::Text(503, limit + "; try again once one has ended");
    }
    Publish();  // the streams already open hear of what changed first
    if (operator_streams_.empty()) published_ = core_->View();
    mesos::v1::master::Event subscribed;
    subscribed.set_type(mesos::v1::master::Event::SUBSCRIBED);
    *subscribed.mutable_subscribed()->mutable_get_state() =
        OperatorState(published_, core_->master_info());
    subscribed.mutable_subscribed()->set_heartbeat_interval_seconds(
        static_cast<double>(options_.heartbeat_interval) / 1000.0);
    mesos::v1::master::Event heartbeat;
    heartbeat.set_type(mesos::v1::master::Event::HEARTBEAT);
    stream->Write(RecordIOEncode(EncodeMessage(subscribed, json)) +
                  RecordIOEncode(EncodeMessage(heartbeat, json)));
    id = "operator-" + std::to_string(next_operator_stream_++);
    if (operator_streams_.empty()) next_operator_heartbeat_ = Now() + options_.heartbeat_interval;
    operator_streams_[id] = {stream, json, address, principal};
    wake_.notify_all();  // the ticker now has heartbeats to send
  }
  stream->OnEnd([this, id] {
    std::lock_guard<std::mutex> lock(mutex_);
    operator_streams_.erase(id);
  });
  HttpServer::Response response;
  response.headers.Set("Content-Type", json ? kJsonMedia : kProtobufMedia);
  response.stream = std::move(stream);
  return response;
}

HttpServer::Response Master::MarkAgentGone(const mesos::v1::master::Call& call) {
  if (!call.has_mark_agent_gone() || !call.mark_agent_gone().has_agent_id()) {
    return HttpServer::Response::Text(
        400, Malformed("a MARK_AGENT_GONE call names its agent in mark_agent_gone.agent_id, "
                       "which is missing"));
  }
  const std::string agent_id = call.mark_agent_gone().agent_id().value();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return HttpServer::Response::Text(503, "Master is stopping");
    std::optional<MasterOutput> output = core_->MarkAgentGone(agent_id, Now());
    if (!output) {
      return HttpServer::Response::Text(404, "Agent " + agent_id + " is not registered");
    }
    Deliver(*output);  // reaches the agent: it shuts its executors down
    agents_.erase(agent_id);
    Deliver(core_->Tick(Now()));
  }
  if (options_.on_agent_gone) options_.on_agent_gone(agent_id);
  return HttpServer::Response::Empty(200);
}

std::string Master::StreamLimitReached(const std::string& address,
                                       const std::optional<std::string>& principal) const {
  std::size_t from_address = 0;
  std::size_t of_principal = 0;
  for (const auto* streams : {&streams_, &operator_streams_}) {
    for (const auto& [id, stream] : *streams) {
      if (stream.address == address) ++from_address;
      if (principal && stream.principal == principal) ++of_principal;
    }
  }
  const std::size_t open = streams_.size() + operator_streams_.size();
  const auto says = [](std::size_t n, const std::string& what) {
    return "the master holds " + std::to_string(n) + " subscription streams" + what + ", its limit";
  };
  if (open >= options_.max_streams) return says(open, "");
  if (from_address >= options_.max_streams_per_address) {
    return says(from_address, " from " + address);
  }
  if (principal && of_principal >= options_.max_streams_per_principal) {
    return says(of_principal, " of principal '" + *principal + "'");
  }
  return "";
}

HttpServer::Response Master::Scheduler(const HttpServer::Request& request) {
  std::optional<std::string> principal;
  if (auto refused = Refuse(request, "mesos-master-scheduler", &principal)) return *refused;
  // 3: method. 4: Content-Type, compared as an exact string. 5: the body.
  Call call;
  const auto is_json = ReadCall(request, &call);
  if (const auto* refused = std::get_if<HttpServer::Response>(&is_json)) return *refused;
  // 6: the call's shape (master_rules.h).
  if (Verdict broken = CheckCall(call, principal)) {
    return HttpServer::Response::Text(400, Malformed(broken->message));
  }
  const std::optional<std::string> stream_id = request.headers.Get("Mesos-Stream-Id");

  if (call.type() == Call::SUBSCRIBE) {
    // 7: Accept, JSON first. 8: no stream id on SUBSCRIBE.
    const auto stream_json = AnswerIsJson(request);
    if (const auto* refused = std::get_if<HttpServer::Response>(&stream_json)) return *refused;
    const bool json = std::get<bool>(stream_json);
    if (stream_id) {
      return HttpServer::Response::Text(
          400, "a SUBSCRIBE opens a new stream: send it without a Mesos-Stream-Id header");
    }
    auto stream = std::make_shared<ResponseStream>();
    std::string id;
    const std::string address = AddressOf(request.peer);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return HttpServer::Response::Text(503, "Master is stopping");
      if (std::string limit = StreamLimitReached(address, principal); !limit.empty()) {
        return HttpServer::Response::Text(503, limit + "; try again once one has ended");
      }
      const UnixMillis now = Now();
      MasterCore::Subscription sub = core_->Subscribe(call, principal, now);
      id = sub.stream_id;
      streams_[id] = {stream, json, address, principal};
      Deliver(sub.output);
      Deliver(core_->Tick(now));
    }
    stream->OnEnd([this, id] { StreamEnded(id); });
    HttpServer::Response response;
    response.headers.Set("Content-Type", json ? kJsonMedia : kProtobufMedia);
    response.headers.Set("Mesos-Stream-Id", id);
    response.stream = std::move(stream);
    return response;
  }

  {
    std::lock_guard<std::mutex> lock(mutex_);
    // 10-15: the framework, its principal, its subscription, the stream id.
    if (auto rejection = core_->CheckCaller(call, principal, stream_id)) {
      return HttpServer::Response::Text(rejection->status, rejection->body);
    }
    // 16: UNKNOWN.
    if (call.type() == Call::UNKNOWN) return HttpServer::Response::Empty(501);
    const UnixMillis now = Now();
    if (call.type() == Call::UPDATE_FRAMEWORK) {
      MasterCore::Update update = core_->UpdateFramework(call);
      if (update.status != 200) return HttpServer::Response::Text(update.status, update.body);
      Deliver(update.output);
      Deliver(core_->Tick(now));
      return HttpServer::Response::Empty(200);
    }
    if (call.type() == Call::RECONCILE_OPERATIONS) {
      return HttpServer::Response::Text(
          501, Call::Type_Name(call.type()) + " is not supported by the embedded master");
    }
    Deliver(core_->Handle(call, now));
    Deliver(core_->Tick(now));
  }
  return HttpServer::Response::Empty(202);
}

}  // namespace mlaunch::cluster

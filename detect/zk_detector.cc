#include "detect/zk_detector.h"

#include <google/protobuf/util/json_util.h>
#include <zookeeper/zookeeper.h>

#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace mlaunch {
namespace {

constexpr size_t kMaxSequenceDigits = 19;  // fits in uint64_t

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "host:port" or "[v6]:port" as found in a pid; nullopt if malformed.
std::optional<HostPort> SplitHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || !AllDigits(port) || port.size() > 5) return std::nullopt;
  uint32_t number = static_cast<uint32_t>(std::stoul(std::string(port)));
  if (number == 0 || number > 65535) return std::nullopt;
  return HostPort{std::string(host), static_cast<uint16_t>(number)};
}

// Where a published MasterInfo says the master listens.
Result<HostPort> AddressOf(const std::string& znode, const mesos::v1::MasterInfo& info) {
  if (info.has_address()) {
    const mesos::v1::Address& address = info.address();
    const std::string& host = !address.ip().empty() ? address.ip() : address.hostname();
    if (!host.empty()) {
      if (address.port() <= 0 || address.port() > 65535) {
        return Status::InvalidData("leader " + znode + " publishes port " +
                                   std::to_string(address.port()) + ", which is not valid");
      }
      return HostPort{host, static_cast<uint16_t>(address.port())};
    }
  }
  if (info.has_pid()) {
    size_t at = info.pid().find('@');
    if (at != std::string::npos) {
      if (std::optional<HostPort> address =
              SplitHostPort(std::string_view(info.pid()).substr(at + 1))) {
        return *address;
      }
    }
  }
  return Status::InvalidData("leader " + znode + " publishes no usable address (no address.ip, " +
                             "address.hostname or pid)");
}

Detection NoLeader(std::string problem) {
  Detection detection;
  detection.problem = std::move(problem);
  return detection;
}

}  // namespace

std::optional<ZkMembership> ParseZkMembership(std::string_view child_name) {
  ZkMembership member;
  member.name = std::string(child_name);
  std::string_view digits = child_name;
  if (size_t underscore = child_name.rfind('_'); underscore != std::string_view::npos) {
    if (underscore == 0) return std::nullopt;
    member.label = std::string(child_name.substr(0, underscore));
    digits = child_name.substr(underscore + 1);
  }
  if (!AllDigits(digits) || digits.size() > kMaxSequenceDigits) return std::nullopt;
  member.sequence = std::stoull(std::string(digits));
  return member;
}

std::optional<ZkMembership> SelectLeader(const std::vector<std::string>& children) {
  std::optional<ZkMembership> leader;
  for (const std::string& child : children) {
    std::optional<ZkMembership> member = ParseZkMembership(child);
    if (!member) continue;
    if (!leader || member->sequence < leader->sequence ||
        (member->sequence == leader->sequence && member->name < leader->name)) {
      leader = std::move(member);
    }
  }
  return leader;
}

Result<DetectedMaster> ParseLeaderData(const ZkMembership& leader, std::string_view data) {
  DetectedMaster master;
  master.znode = leader.name;
  if (leader.label == "json.info") {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;  // newer masters publish more
    auto status = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(data.data(), data.size()), &master.info, options);
    if (!status.ok()) {
      std::string reason(status.message());
      reason.erase(0, reason.find_first_not_of(": "));  // protobuf may start with ": "
      return Status::InvalidData("leader " + leader.name +
                                 " holds invalid MasterInfo JSON: " + reason);
    }
  } else if (leader.label == "info") {
    if (!master.info.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      return Status::InvalidData("leader " + leader.name +
                                 " holds an unreadable binary MasterInfo");
    }
  } else if (leader.label.empty()) {
    // Very old masters: the content is the master's pid, "master@ip:port".
    std::string pid(data);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == '\0')) pid.pop_back();
    master.info.set_pid(pid);
  } else {
    return Status::InvalidData("leader " + leader.name + " has label '" + leader.label +
                               "', which is not a Mesos master's (expected json.info)");
  }
  Result<HostPort> address = AddressOf(leader.name, master.info);
  if (!address.ok()) return address.status();
  master.address = std::move(address).value();
  return master;
}

// ---------------------------------------------------------------------------

class ZkDetector::Impl {
 public:
  Impl(ZooKeeperTarget target, Callback callback, ZkDetectorOptions options)
      : target_(std::move(target)),
        callback_(std::move(callback)),
        options_(options),
        connect_string_(target_.ConnectString()) {}

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (worker_.joinable()) {
      assert(worker_.get_id() != std::this_thread::get_id() &&
             "a ZkDetector callback must not destroy its detector");
      worker_.join();
    }
  }

  void StartWorker() {
    worker_ = std::thread([this] { Run(); });
  }

  std::optional<Detection> Current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
  }

 private:
  using Clock = std::chrono::steady_clock;

  // What the ZooKeeper client's threads hand to the worker.
  struct Event {
    enum class Kind { kSession, kWatch, kChildren, kExists, kData, kCreated };
    Kind kind = Kind::kWatch;
    uint64_t session = 0;  // which session it belongs to; stale ones are dropped
    int state = 0;         // kSession
    int rc = 0;            // results
    uint64_t refresh = 0;  // results: which refresh asked
    std::vector<std::string> children;
    std::string child;
    std::string data;
    bool member = false;  // kCreated: our election node (else a parent path)
  };

  // The watcher context of one session; lives until its handle is closed.
  struct SessionContext {
    Impl* impl;
    uint64_t session;
  };

  // The context of one request; freed by its completion.
  struct RequestContext {
    Impl* impl;
    uint64_t session;
    uint64_t refresh;
    std::string child;
    bool member = false;
  };

  // --- Called on the ZooKeeper client's threads (or within zookeeper_close).

  static void OnSessionEvent(zhandle_t*, int type, int state, const char*, void* context) {
    if (type != ZOO_SESSION_EVENT) return;
    auto* session = static_cast<SessionContext*>(context);
    Event event;
    event.kind = Event::Kind::kSession;
    event.state = state;
    session->impl->Post(session->session, std::move(event));
  }

  static void OnNodeEvent(zhandle_t*, int type, int, const char*, void* context) {
    // Session events also reach node watchers; OnSessionEvent handles those.
    if (type == ZOO_SESSION_EVENT) return;
    auto* session = static_cast<SessionContext*>(context);
    session->impl->Post(session->session, Event{});
  }

  static void OnChildren(int rc, const String_vector* strings, const Stat*, const void* data) {
    std::unique_ptr<RequestContext> request(static_cast<RequestContext*>(const_cast<void*>(data)));
    Event event;
    event.kind = Event::Kind::kChildren;
    event.rc = rc;
    event.refresh = request->refresh;
    if (rc == ZOK && strings != nullptr) {
      for (int32_t i = 0; i < strings->count; ++i) event.children.emplace_back(strings->data[i]);
    }
    request->impl->Post(request->session, std::move(event));
  }

  static void OnExists(int rc, const Stat*, const void* data) {
    std::unique_ptr<RequestContext> request(static_cast<RequestContext*>(const_cast<void*>(data)));
    Event event;
    event.kind = Event::Kind::kExists;
    event.rc = rc;
    event.refresh = request->refresh;
    request->impl->Post(request->session, std::move(event));
  }

  static void OnData(int rc, const char* value, int length, const Stat*, const void* data) {
    std::unique_ptr<RequestContext> request(static_cast<RequestContext*>(const_cast<void*>(data)));
    Event event;
    event.kind = Event::Kind::kData;
    event.rc = rc;
    event.refresh = request->refresh;
    event.child = std::move(request->child);
    if (rc == ZOK && value != nullptr && length > 0) {
      event.data.assign(value, static_cast<size_t>(length));
    }
    request->impl->Post(request->session, std::move(event));
  }

  static void OnCreated(int rc, const char* value, const void* data) {
    std::unique_ptr<RequestContext> request(static_cast<RequestContext*>(const_cast<void*>(data)));
    Event event;
    event.kind = Event::Kind::kCreated;
    event.rc = rc;
    event.member = request->member;
    event.child = std::move(request->child);
    if (rc == ZOK && value != nullptr) event.data = value;
    request->impl->Post(request->session, std::move(event));
  }

  static void OnAuth(int, const void*) {}  // a rejection arrives as ZOO_AUTH_FAILED_STATE

  static void DropClientLog(const char*) {}

  void Post(uint64_t session, Event event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (session != session_ || stopping_) return;
      event.session = session;
      events_.push_back(std::move(event));
    }
    wake_.notify_all();
  }

  // --- The worker.

  void Run() {
    OpenSession();
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      std::optional<Clock::time_point> deadline = deadline_;
      auto ready = [this] { return stopping_ || !events_.empty(); };
      if (deadline) {
        wake_.wait_until(lock, *deadline, ready);
      } else {
        wake_.wait(lock, ready);
      }
      if (stopping_) break;
      std::deque<Event> events;
      events.swap(events_);
      lock.unlock();
      for (Event& event : events) Handle(event);
      if (deadline_ && Clock::now() >= *deadline_) OnDeadline();
      lock.lock();
    }
    lock.unlock();
    CloseSession();
  }

  void OpenSession() {
    deadline_.reset();
    disconnected_ = false;
    contending_ = false;
    own_.clear();
    auto context = std::make_unique<SessionContext>();
    context->impl = this;
    zhandle_t* handle = nullptr;
    {
      // Held across init so that the client's first events, which may come
      // before zookeeper_init2 returns, wait until the session is current.
      std::lock_guard<std::mutex> lock(mutex_);
      context->session = ++session_;
      handle = zookeeper_init2(connect_string_.c_str(), &Impl::OnSessionEvent,
                               static_cast<int>(options_.session_timeout.count()), nullptr,
                               context.get(), 0,
                               options_.client_log_to_stderr ? nullptr : &Impl::DropClientLog);
    }
    if (handle == nullptr) {
      int error = errno;
      Report(NoLeader("cannot create a ZooKeeper client for " + connect_string_ + ": " +
                      std::strerror(error) + "; retrying"));
      deadline_ = Clock::now() + options_.retry_delay;
      return;
    }
    handle_ = handle;
    session_context_ = std::move(context);
    if (target_.credentials) {
      std::string digest = target_.credentials->user + ":" + target_.credentials->password;
      // Sent with the connection, and again on every reconnection of this session.
      (void)zoo_add_auth(handle_, "digest", digest.data(), static_cast<int>(digest.size()),
                         &Impl::OnAuth, nullptr);
    }
  }

  void CloseSession() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++session_;  // whatever the old session still delivers is dropped
    }
    if (handle_ != nullptr) {
      zookeeper_close(handle_);  // pending completions run (ZCLOSING) and free their contexts
      handle_ = nullptr;
    }
    session_context_.reset();
  }

  void ReopenSession() {
    CloseSession();
    OpenSession();
  }

  void OnDeadline() {
    deadline_.reset();
    // Either the client could not be created, or the connection has been down
    // longer than the session timeout: in both cases start afresh.
    ReopenSession();
  }

  void Handle(const Event& event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (event.session != session_) return;  // from a session closed meanwhile
    }
    switch (event.kind) {
      case Event::Kind::kSession:
        return HandleSessionState(event.state);
      case Event::Kind::kWatch:
        return Refresh();
      case Event::Kind::kChildren:
        return HandleChildren(event);
      case Event::Kind::kExists:
        if (event.refresh == refresh_ && event.rc == ZOK) Refresh();  // created meanwhile
        return;
      case Event::Kind::kData:
        return HandleData(event);
      case Event::Kind::kCreated:
        return HandleCreated(event);
    }
  }

  void HandleSessionState(int state) {
    if (state == ZOO_CONNECTED_STATE) {
      deadline_.reset();
      disconnected_ = false;
      if (options_.contend_with && !contending_) Contend();
      // Watches survive a reconnection, but a fresh read costs little and
      // covers a first connection too.
      Refresh();
    } else if (state == ZOO_CONNECTING_STATE) {
      if (!disconnected_) {
        disconnected_ = true;
        deadline_ = Clock::now() + options_.session_timeout;
      }
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
      ReopenSession();
    } else if (state == ZOO_AUTH_FAILED_STATE) {
      Report(NoLeader("ZooKeeper rejected the credentials of user '" +
                      target_.credentials.value_or(ZooKeeperCredentials{}).user + "'; retrying"));
      CloseSession();
      deadline_ = Clock::now() + options_.retry_delay;
    }
  }

  // Creates the path's missing ancestors and the path, then our election
  // node. The client sends requests in order on one connection, and ZooKeeper
  // answers them in order, so each parent exists before its child is made.
  void Contend() {
    contending_ = true;
    const uint64_t session = session_context_->session;
    for (size_t slash = target_.path.find('/', 1);; slash = target_.path.find('/', slash + 1)) {
      std::string prefix =
          slash == std::string::npos ? target_.path : target_.path.substr(0, slash);
      auto* request = new RequestContext{this, session, 0, prefix, false};
      if (zoo_acreate(handle_, prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, &Impl::OnCreated,
                      request) != ZOK) {
        delete request;
      }
      if (slash == std::string::npos) break;
    }
    const std::string& data = *options_.contend_with;
    std::string node = target_.path + "/json.info_";
    auto* request = new RequestContext{this, session, 0, node, true};
    int rc =
        zoo_acreate(handle_, node.c_str(), data.data(), static_cast<int>(data.size()),
                    &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, &Impl::OnCreated, request);
    // On failure the session is unusable; its session event decides.
    if (rc != ZOK) delete request;
  }

  void HandleCreated(const Event& event) {
    if (!event.member) return;  // a parent: made, or already there, or the node's create says
    if (event.rc == ZOK) {
      own_ = event.data.substr(event.data.rfind('/') + 1);
      Refresh();
      return;
    }
    // Whether a node was made is unknown after a lost connection: closing the
    // session removes it if it was, and the next session contends afresh.
    Report(NoLeader("cannot take part in the election under " + target_.path + ": " +
                    zerror(event.rc) + "; retrying"));
    CloseSession();
    deadline_ = Clock::now() + options_.retry_delay;
  }

  void Refresh() {
    if (handle_ == nullptr) return;
    ++refresh_;
    auto* request = new RequestContext{this, session_context_->session, refresh_, {}, false};
    int rc = zoo_awget_children2(handle_, target_.path.c_str(), &Impl::OnNodeEvent,
                                 session_context_.get(), &Impl::OnChildren, request);
    // On failure (the session is unusable) no completion runs; the session
    // event that follows decides what to do.
    if (rc != ZOK) delete request;
  }

  void HandleChildren(const Event& event) {
    if (event.refresh != refresh_) return;  // a newer read is on its way
    if (event.rc == ZNONODE) {
      Report(NoLeader("ZooKeeper path " + target_.path +
                      " does not exist; no master has registered there yet"));
      auto* request = new RequestContext{this, session_context_->session, refresh_, {}, false};
      int rc = zoo_awexists(handle_, target_.path.c_str(), &Impl::OnNodeEvent,
                            session_context_.get(), &Impl::OnExists, request);
      if (rc != ZOK) delete request;
      return;
    }
    if (event.rc == ZNOAUTH) {
      Report(NoLeader(NoAccess(target_.path)));
      return;
    }
    if (event.rc != ZOK) {
      ReportRequestError("list " + target_.path, event.rc);
      return;
    }
    std::optional<ZkMembership> leader = SelectLeader(event.children);
    if (!leader) {
      Report(NoLeader("no master is registered under " + target_.path));
      return;
    }
    std::string node = target_.path + "/" + leader->name;
    auto* request =
        new RequestContext{this, session_context_->session, refresh_, leader->name, false};
    int rc = zoo_aget(handle_, node.c_str(), 0, &Impl::OnData, request);
    if (rc != ZOK) delete request;
  }

  void HandleData(const Event& event) {
    if (event.refresh != refresh_) return;
    if (event.rc == ZNONODE) return;  // the leader left; the child watch brings a new read
    if (event.rc == ZNOAUTH) {
      Report(NoLeader(NoAccess(target_.path + "/" + event.child)));
      return;
    }
    if (event.rc != ZOK) {
      ReportRequestError("read " + target_.path + "/" + event.child, event.rc);
      return;
    }
    std::optional<ZkMembership> leader = ParseZkMembership(event.child);
    assert(leader.has_value());
    Result<DetectedMaster> master = ParseLeaderData(*leader, event.data);
    if (!master.ok()) {
      Report(NoLeader(master.message()));
      return;
    }
    Report(Detection{std::move(master).value(), "", ""});
  }

  std::string NoAccess(const std::string& node) const {
    std::string text = "ZooKeeper denied access to " + node;
    if (target_.credentials) {
      return text + " for user '" + target_.credentials->user + "'";
    }
    return text + "; give credentials as zk://user:password@" + connect_string_ + target_.path;
  }

  void ReportRequestError(const std::string& what, int rc) {
    // Connection trouble is followed by a session event, which decides.
    if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
        rc == ZSESSIONMOVED || rc == ZCLOSING || rc == ZINVALIDSTATE) {
      return;
    }
    Report(NoLeader("ZooKeeper could not " + what + ": " + zerror(rc)));
  }

  void Report(Detection detection) {
    detection.own = own_;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      current_ = detection;
    }
    if (reported_ && *reported_ == detection) return;
    reported_ = detection;
    if (callback_) callback_(detection);
  }

  const ZooKeeperTarget target_;
  const Callback callback_;
  const ZkDetectorOptions options_;
  const std::string connect_string_;
  std::thread worker_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;             // guarded by mutex_
  uint64_t session_ = 0;              // guarded by mutex_; the current session's number
  std::deque<Event> events_;          // guarded by mutex_
  std::optional<Detection> current_;  // guarded by mutex_

  // Worker only.
  zhandle_t* handle_ = nullptr;
  std::unique_ptr<SessionContext> session_context_;
  uint64_t refresh_ = 0;
  bool disconnected_ = false;
  bool contending_ = false;  // this session sent its election node's creation
  std::string own_;          // our election node in this session, once made
  std::optional<Clock::time_point> deadline_;
  std::optional<Detection> reported_;
};

ZkDetector::ZkDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ZkDetector::~ZkDetector() = default;

Result<std::unique_ptr<ZkDetector>> ZkDetector::Start(ZooKeeperTarget target, Callback on_change,
                                                      ZkDetectorOptions options) {
  if (target.servers.empty()) return Status::InvalidData("zk:// target has no servers");
  if (target.path.empty() || target.path.front() != '/') {
    return Status::InvalidData("zk:// path must be absolute, e.g. /mesos");
  }
  if (options.session_timeout.count() <= 0 || options.retry_delay.count() < 0) {
    return Status::InvalidData("ZooKeeper session timeout must be positive");
  }
  auto impl = std::make_unique<Impl>(std::move(target), std::move(on_change), options);
  impl->StartWorker();
  return std::unique_ptr<ZkDetector>(new ZkDetector(std::move(impl)));
}

std::optional<Detection> ZkDetector::Current() const { return impl_->Current(); }

}  // namespace mlaunch

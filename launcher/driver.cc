#include "launcher/driver.h"

#include <string.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "common/json_text.h"
#include "common/url_query.h"
#include "launcher/exit_code.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;
namespace sched = mesos::v1::scheduler;

// For reading agents' files: the master's TLS settings, none of its
// credentials, and little patience (the run waits meanwhile).
HttpClient::Options AgentHttpOptions(HttpClient::Options options) {
  options.username.clear();
  options.password.clear();
  options.timeout = std::chrono::seconds(5);
  options.connect_timeout = std::chrono::seconds(2);
  options.max_response_bytes = 64 * 1024;
  return options;
}

// An executor's wait status (Event.Failure.status) in words: "exited with
// status 1", "was killed by SIGKILL".
std::string WaitStatusWords(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return "was killed by " +
           (name ? "SIG" + std::string(name) : "signal " + std::to_string(WTERMSIG(status)));
  }
  return "ended (wait status " + std::to_string(status) + ")";
}

const char* KindName(ViewEvent::Kind kind) {
  switch (kind) {
    case ViewEvent::Kind::kInstance:
      return "instance";
    case ViewEvent::Kind::kWaiting:
      return "waiting";
    case ViewEvent::Kind::kServing:
      return "serving";
    case ViewEvent::Kind::kNote:
      return "note";
  }
  return "note";
}

}  // namespace

Driver::Driver(const Plan& plan, CoreOptions core_options, HttpClient& http,
               MasterClient::Options client_options, DriverOptions options, std::ostream& out)
    : plan_(plan),
      core_(plan, std::move(core_options)),
      http_(http),
      agent_http_(AgentHttpOptions(client_options.http)),
      client_(http, std::move(client_options),
              MasterClient::Callbacks{[this](MasterClient::EventPtr e) { Push(std::move(e)); },
                                      [this](const std::string& why) { Push(Lost{why}); },
                                      [this](const std::string& why) { Push(Fatal{why}); }}),
      options_(options),
      out_(out),
      start_(std::chrono::steady_clock::now()) {
  if (!options_.json) {
    std::map<std::string, std::int64_t> instances;
    for (const TaskPlan& task : plan_.tasks) instances[task.name] = task.instances;
    view_.emplace(out_, std::move(instances), options_.view);
  }
}

std::string Driver::ExecutorStderr(const sched::Event::Failure& failure) {
  std::optional<SchedulerCore::SandboxFile> file = core_.ExecutorStderr(failure);
  if (!file) return "";
  const std::string url =
      file->agent_url + "/files/read?path=" + QueryEscaped(file->path) + "&offset=0&length=65536";
  Result<HttpClient::Response> got = http_.Get(url, {}, agent_http_);
  if (!got.ok() || got->status != 200) return "";
  nlohmann::json body = nlohmann::json::parse(got->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_string()) return "";
  return body["data"].get<std::string>();
}

void Driver::Push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
}

void Driver::RequestStop() { Push(Stop{}); }

SteadyMillis Driver::Now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

sched::Call Driver::SubscribeCall() {
  sched::Call call;
  call.set_type(sched::Call::SUBSCRIBE);
  v1::FrameworkInfo* info = call.mutable_subscribe()->mutable_framework_info();
  *info = plan_.framework;
  std::lock_guard<std::mutex> lock(mutex_);
  if (!framework_id_.empty()) {
    call.mutable_framework_id()->set_value(framework_id_);
    info->mutable_id()->set_value(framework_id_);
  }
  return call;
}

void Driver::Print(const ViewEvent& event) {
  if (options_.json) {
    out_ << JsonText({{"time", static_cast<double>(Now()) / 1000.0},
                      {"kind", KindName(event.kind)},
                      {"instance", event.instance},
                      {"text", event.text}})
         << "\n";
    out_.flush();
  } else {
    view_->Show(event);
  }
}

void Driver::SaveState() {
  state_unsaved_ = false;
  saved_at_ = Now();
  if (!options_.state || core_.framework_id().empty()) return;
  Status saved = options_.state->Save({core_.framework_id(), core_.KnownTasks()});
  if (!saved.ok()) {
    Print({ViewEvent::Kind::kNote, "",
           "warning: " + saved.message() +
               "; running on, but a restarted mesos-launch would not know the tasks launched "
               "since (fix it, or let this run finish)"});
  }
}

std::optional<int> Driver::Apply(Output output) {
  // The state first: an ACCEPT that left before its task ids were on disk
  // would, after a crash in between, make the next run launch a duplicate.
  if (output.save == Output::Save::kBeforeCalls) SaveState();
  if (output.save == Output::Save::kSoon) state_unsaved_ = true;
  for (const sched::Call& call : output.calls) Send(call, 0, Now());
  for (const ViewEvent& event : output.view) Print(event);
  if (output.exit_code && options_.state) {
    // Torn down: there is nothing to fail over to any more.
    Status cleared = options_.state->Clear();
    if (!cleared.ok()) Print({ViewEvent::Kind::kNote, "", "warning: " + cleared.message()});
  }
  return output.exit_code;
}

void Driver::Send(const sched::Call& call, int failed_before, SteadyMillis now) {
  retry_.Sending(call);
  const Status sent = client_.Send(call);
  const std::string type = sched::Call::Type_Name(call.type());
  if (sent.ok()) {
    if (failed_before > 0) {
      Print({ViewEvent::Kind::kNote, "",
             type + " went through at attempt " + std::to_string(failed_before + 1)});
    }
    return;
  }
  if (!CallRetry::Retryable(call, sent)) {
    Print({ViewEvent::Kind::kNote, "", "warning: " + sent.message()});
    return;
  }
  std::optional<sched::Call> dropped;
  const SteadyMillis wait = retry_.Add(call, failed_before + 1, now, &dropped);
  if (failed_before == 0) {
    Print({ViewEvent::Kind::kNote, "",
           "warning: " + sent.message() + "; sending it again in " + std::to_string(wait) +
               "ms, and until it goes through"});
  }
  if (dropped) {
    Print({ViewEvent::Kind::kNote, "",
           "warning: gave up sending " + sched::Call::Type_Name(dropped->type()) +
               ": more calls wait to be sent again than the limit"});
  }
}

int Driver::Run() {
  if (std::optional<int> failed = FailOver()) return *failed;
  client_.Start([this] { return SubscribeCall(); });
  Loop loop;
  while (true) {
    std::optional<Item> item = NextItem();
    if (item && std::holds_alternative<Fatal>(*item)) return OnFatal(std::get<Fatal>(*item));
    const SteadyMillis now = Now();
    std::optional<int> exit;
    if (item) exit = Handle(*item, now, loop);
    if (!exit) exit = Periodic(now, loop);
    if (exit) {
      if (view_) view_->Summarize(core_.Counts(), Now(), /*final=*/true);
      client_.Stop();
      return *exit;
    }
  }
}

std::optional<int> Driver::FailOver() {
  if (!options_.state) return std::nullopt;
  Result<std::optional<SavedState>> saved = options_.state->Load();
  if (!saved.ok()) {
    Print({ViewEvent::Kind::kNote, "", "error: " + saved.status().message()});
    return kExitCannotConnect;
  }
  if (!saved.value()) return std::nullopt;
  const std::vector<KnownTask>& tasks = saved.value()->tasks;
  core_.Adopt(tasks, Now());
  std::lock_guard<std::mutex> lock(mutex_);
  framework_id_ = saved.value()->framework_id;
  Print({ViewEvent::Kind::kNote, "",
         "failing over to framework " + framework_id_ + " (" + std::to_string(tasks.size()) +
             (tasks.size() == 1 ? " known task)" : " known tasks)")});
  return std::nullopt;
}

std::optional<Driver::Item> Driver::NextItem() {
  std::unique_lock<std::mutex> lock(mutex_);
  const SteadyMillis until_retry = std::max<SteadyMillis>(0, retry_.NextDue() - Now());
  wake_.wait_for(
      lock,
      std::min<std::chrono::milliseconds>(options_.tick, std::chrono::milliseconds(until_retry)),
      [this] { return !queue_.empty(); });
  if (queue_.empty()) return std::nullopt;
  Item item = std::move(queue_.front());
  queue_.pop_front();
  return item;
}

std::optional<int> Driver::Handle(Item& item, SteadyMillis now, Loop& loop) {
  if (auto* held = std::get_if<MasterClient::EventPtr>(&item)) return OnEvent(**held, now, loop);
  if (auto* lost = std::get_if<Lost>(&item)) {
    loop.last_problem = lost->why.substr(0, lost->why.rfind("; retrying in"));
    retry_.Clear();  // the next SUBSCRIBED restates what is still needed
    Print({ViewEvent::Kind::kNote, "",
           std::string(loop.subscribed ? "disconnected: " : "cannot subscribe: ") + lost->why});
    return std::nullopt;
  }
  loop.stop_requested = true;  // Stop (a Fatal never comes here)
  return Apply(core_.Stop(now));
}

int Driver::OnFatal(const Fatal& fatal) {
  Print({ViewEvent::Kind::kNote, "", "error: " + fatal.why});
  if (state_unsaved_) SaveState();
  if (fatal.why.find("Framework has been removed") != std::string::npos && options_.state) {
    (void)options_.state->Clear();
    Print({ViewEvent::Kind::kNote, "",
           "the master had removed framework " + framework_id_ +
               " (its failover timeout ran out, or it was torn down); the saved id is "
               "cleared, the next run starts a new framework"});
  }
  client_.Stop();
  return kExitCannotConnect;
}

std::optional<int> Driver::OnEvent(const sched::Event& event, SteadyMillis now, Loop& loop) {
  switch (event.type()) {
    case sched::Event::SUBSCRIBED: {
      loop.subscribed = true;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        framework_id_ = event.subscribed().framework_id().value();
      }
      retry_.Clear();  // calls of no subscription; the core restates what counts
      std::optional<int> exit = Apply(core_.Subscribed(event.subscribed(), now));
      SaveState();
      return exit;
    }
    case sched::Event::OFFERS:  // read in place, in the event's arena
      return Apply(core_.Offers(event.offers().offers(), now));
    case sched::Event::UPDATE:
      return Apply(core_.Update(event.update().status(), now));
    case sched::Event::FAILURE: {
      const sched::Event::Failure& failure = event.failure();
      if (failure.has_executor_id()) {
        // An executor that exited 0 ended with its tasks: routine.
        const int status = failure.status();
        Print({ViewEvent::Kind::kNote, "",
               "executor " + failure.executor_id().value() + " " + WaitStatusWords(status),
               failure.has_status() && WIFEXITED(status) && WEXITSTATUS(status) == 0});
      } else {
        Print({ViewEvent::Kind::kNote, "", "agent " + failure.agent_id().value() + " was lost"});
      }
      // Reading the executor's stderr from the agent takes a round trip;
      // the backoff starts after it, when "restarting in" is printed, so
      // the clock is read again.
      const std::string stderr_tail = ExecutorStderr(failure);
      return Apply(core_.Failure(failure, stderr_tail, Now()));
    }
    default:  // HEARTBEAT, RESCIND, MESSAGE; ERROR ends in Fatal
      return std::nullopt;
  }
}

std::optional<int> Driver::Periodic(SteadyMillis now, Loop& loop) {
  std::optional<int> exit;
  if (options_.duration && !loop.stop_requested && now >= options_.duration->count()) {
    loop.stop_requested = true;
    if ((exit = Apply(core_.Stop(now)))) return exit;
  }
  if (now >= loop.next_tick) {
    loop.next_tick = now + options_.tick.count();
    if ((exit = Apply(core_.Tick(now)))) return exit;
    if (view_ && view_->Due(now)) view_->Summarize(core_.Counts(), now);
  }
  if (state_unsaved_ && now - saved_at_ >= options_.save_every.count()) SaveState();
  if (!loop.subscribed && now >= options_.connect_timeout.count()) {
    Print({ViewEvent::Kind::kNote, "",
           "error: no master answered within " +
               std::to_string(options_.connect_timeout.count() / 1000) +
               "s; last: " + loop.last_problem});
    return kExitCannotConnect;
  }
  for (CallRetry::Pending& due : retry_.TakeDue(Now())) Send(due.call, due.attempts, Now());
  return std::nullopt;
}

}  // namespace mlaunch

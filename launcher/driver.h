// The run loop: the one place where the master client, the scheduler core,
// the clock and the screen meet. Events from the master and stop requests
// are queued; the loop hands each to the core with the time, sends the calls
// the core returns, prints what it has to say, and keeps the failover state
// file current: a launch is written before that output's calls are sent (so
// an ACCEPT never leaves before the task it launches is on disk); other
// changes at most `save_every` later, many in one write. A call the master did not take (503, or no
// answer) is sent again with backoff until it goes through or the
// subscription ends (CallRetry). It ends when the core sets an exit code, or when the master
// refuses the framework, or when no master could be subscribed to in time.
//
// Thread-safety: RequestStop() may be called from any thread (a signal
// thread); everything else runs on the thread that called Run().
#ifndef MLAUNCH_LAUNCHER_DRIVER_H_
#define MLAUNCH_LAUNCHER_DRIVER_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <variant>

#include "launcher/call_retry.h"
#include "launcher/live_view.h"
#include "launcher/master_client.h"
#include "launcher/plan.h"
#include "launcher/scheduler_core.h"
#include "launcher/state_store.h"

namespace mlaunch {

struct DriverOptions {
  std::chrono::milliseconds tick{250};
  std::chrono::milliseconds save_every{1000};         // changes other than launches
  std::optional<std::chrono::milliseconds> duration;  // stop after this long
  std::chrono::milliseconds connect_timeout{60000};   // exit 2 if never subscribed
  bool json = false;                                  // one JSON object per line
  LiveView::Options view;                             // the text output's summaries
  const StateStore* state = nullptr;                  // failover state, when kept
};

class Driver {
 public:
  Driver(const Plan& plan, CoreOptions core_options, HttpClient& http,
         MasterClient::Options client_options, DriverOptions options, std::ostream& out);

  // Runs the spec; returns the exit code (docs/running.md, "Exit codes").
  int Run();
  // Asks the run to stop (SIGINT, SIGTERM); a second request tears down at once.
  void RequestStop();
  // Where the masters are may have changed (MasterClient::MastersChanged).
  void MastersChanged() { client_.MastersChanged(); }

 private:
  struct Stop {};
  struct Lost {
    std::string why;
  };
  struct Fatal {
    std::string why;
  };
  using Item = std::variant<MasterClient::EventPtr, Lost, Fatal, Stop>;
  // What Run()'s loop keeps from one item to the next.
  struct Loop {
    bool subscribed = false;  // SUBSCRIBED came, at least once
    bool stop_requested = false;
    std::string last_problem = "no answer";  // why no subscription, for the connect timeout
    SteadyMillis next_tick = 0;
  };
  // Adopts the saved framework id and tasks, when the state is kept; an
  // exit code when it cannot be read.
  std::optional<int> FailOver();
  // The next item, or nullopt after waiting until the tick or the next
  // retry is due.
  std::optional<Item> NextItem();
  // The master refused the framework: the run ends (kExitCannotConnect),
  // without a final summary.
  int OnFatal(const Fatal& fatal);
  // Each returns an exit code when the run is over.
  std::optional<int> Handle(Item& item, SteadyMillis now, Loop& loop);
  std::optional<int> OnEvent(const mesos::v1::scheduler::Event& event, SteadyMillis now,
                             Loop& loop);
  // The duration, the core's tick, saving the state, the connect timeout
  // and the calls due again.
  std::optional<int> Periodic(SteadyMillis now, Loop& loop);

  void Push(Item item);
  SteadyMillis Now() const;
  // Saves state (when changed), sends the calls, prints the lines; the exit
  // code if over.
  std::optional<int> Apply(Output output);
  void Print(const ViewEvent& event);
  // Sends a call that failed `failed_before` times already; one that fails
  // in a way worth another try goes to retry_.
  void Send(const mesos::v1::scheduler::Call& call, int failed_before, SteadyMillis now);
  void SaveState();
  mesos::v1::scheduler::Call SubscribeCall();
  // What the agent has of the stderr of the executor `failure` is about,
  // when the core asks for it (SchedulerCore::ExecutorStderr); "" when it
  // cannot be read within a few seconds.
  std::string ExecutorStderr(const mesos::v1::scheduler::Event::Failure& failure);

  const Plan& plan_;
  SchedulerCore core_;
  HttpClient& http_;
  HttpClient::Options agent_http_;  // the master's TLS settings, no credentials
  MasterClient client_;
  DriverOptions options_;
  std::ostream& out_;
  std::optional<LiveView> view_;  // text output (not --output json)
  std::chrono::steady_clock::time_point start_;
  CallRetry retry_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool state_unsaved_ = false;  // a change waits for save_every
  SteadyMillis saved_at_ = 0;
  std::string framework_id_;  // guarded by mutex_: read by the subscribe call
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_DRIVER_H_

// CallRetry: the scheduler calls that did not reach the master, kept to be
// sent again with a capped exponential backoff until they go through or the
// subscription they were made for ends (docs/reliability.md, "Limits").
//
// A master answers 503 while it recovers, elects or sheds load; a lost
// REVIVE or KILL would otherwise leave an instance waiting for offers that
// never come, or a task running that was meant to stop. Which failures are
// worth another try is Retryable(); a REVIVE or SUPPRESS sent later
// replaces one still waiting (only the latest wish counts).
//
// Pure: time is the caller's SteadyMillis; not thread-safe (the driver's thread).
#ifndef MLAUNCH_LAUNCHER_CALL_RETRY_H_
#define MLAUNCH_LAUNCHER_CALL_RETRY_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "common/millis.h"
#include "common/status.h"
#include "mesos/v1/scheduler/scheduler.pb.h"

namespace mlaunch {

class CallRetry {
 public:
  using Call = mesos::v1::scheduler::Call;

  struct Options {
    SteadyMillis initial = 100;      // the first wait
    SteadyMillis max = 5000;         // waits double up to this
    std::size_t max_pending = 1000;  // beyond it the oldest call is given up
  };

  struct Pending {
    Call call;
    int attempts = 1;  // sends so far, all failed
    SteadyMillis due = 0;
  };

  CallRetry() : CallRetry(Options{}) {}
  explicit CallRetry(Options options) : options_(options) {}

  // Whether a send of `call` that failed with `failure` should be repeated:
  // a 503 (kBusy: the master did nothing) always; no answer at all
  // (kUnavailable, kTimeout) for every call but ACCEPT, which the master may
  // have carried out: a second ACCEPT would name spent offers and the master
  // would drop its tasks, which run already. Refusals are final.
  static bool Retryable(const Call& call, const Status& failure);

  // Keeps a call whose send failed for the attempts-th time; returns the
  // wait before it is due. When max_pending calls wait already, the oldest
  // is given up and returned in *dropped.
  SteadyMillis Add(Call call, int attempts, SteadyMillis now, std::optional<Call>* dropped);

  // A call is being sent: a REVIVE or SUPPRESS waiting is superseded by it.
  void Sending(const Call& call);

  // When the earliest call is due; the largest SteadyMillis when none waits.
  SteadyMillis NextDue() const;

  // Removes and returns the calls due at `now`, oldest first.
  std::vector<Pending> TakeDue(SteadyMillis now);

  // The subscription ended: its calls would be refused (their stream id is
  // gone), and the next SUBSCRIBED restates what is needed.
  void Clear() { pending_.clear(); }

  std::size_t size() const { return pending_.size(); }

 private:
  Options options_;
  std::deque<Pending> pending_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_CALL_RETRY_H_

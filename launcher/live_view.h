// How a run looks to a person (text output; --output json has every event
// instead). Every event is a line, except the routine ones
// (ViewEvent::routine: launched, running, serving, ended by a stop) of a
// task with more than Options::listed instances: those are summed up, one
// line per such task at most every Options::every, when its counts
// changed, e.g.
//   web: 9,874 running, 126 launched
// Routine notes (an executor's clean exit) go the same way in a run that
// sums up any task. Lines that ask for a person's attention (failures,
// restarts, health, waiting for offers) are shown whatever the size.
// Not thread-safe.
#ifndef MLAUNCH_LAUNCHER_LIVE_VIEW_H_
#define MLAUNCH_LAUNCHER_LIVE_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "launcher/scheduler_core.h"

namespace mlaunch {

class LiveView {
 public:
  struct Options {
    std::size_t listed = 20;    // instances of a task shown one by one
    SteadyMillis every = 2000;  // between two summaries of a task
  };
  // `instances`: how many instances each task has, by task name.
  LiveView(std::ostream& out, std::map<std::string, std::int64_t> instances, Options options);

  void Show(const ViewEvent& event);
  // Whether a summary is due at `now` (routine events were held back).
  bool Due(SteadyMillis now) const { return hidden_ && now - shown_at_ >= options_.every; }
  // Prints the summaries due at `now`, from SchedulerCore::CountsByTask().
  // `final`: every changed one, due or not (the run ends).
  void Summarize(const CountsByTask& counts, SteadyMillis now, bool final = false);

 private:
  bool Summed(const std::string& task) const;

  std::ostream& out_;
  std::map<std::string, std::int64_t> instances_;
  Options options_;
  bool any_summed_ = false;                   // a task has more than `listed` instances
  std::map<std::string, std::string> shown_;  // the last summary of each task
  bool hidden_ = false;                       // routine events since it
  SteadyMillis shown_at_ = 0;
};

// "12,345"
std::string GroupThousands(std::size_t n);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_LIVE_VIEW_H_

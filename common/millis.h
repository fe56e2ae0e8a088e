// Time as the pure cores take it: whole milliseconds in an int64, on one of
// two clocks, each with a name of its own (docs/architecture.md, "Where time
// enters each core"):
//   SteadyMillis  the steady clock, which never jumps, counted from an origin
//                 the run loop picks when it starts (the launcher's Driver,
//                 the executor's loop): the scheduler's and the executor's
//                 time.
//   UnixMillis    the system clock, since the Unix epoch: the master's time,
//                 which also becomes TaskStatus timestamps.
// Both are plain integers, so the compiler does not keep them apart: the
// name says which clock a value is on.
#ifndef MLAUNCH_COMMON_MILLIS_H_
#define MLAUNCH_COMMON_MILLIS_H_

#include <cstdint>

namespace mlaunch {

using SteadyMillis = std::int64_t;
using UnixMillis = std::int64_t;

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_MILLIS_H_

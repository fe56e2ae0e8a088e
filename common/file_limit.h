// The open-file limit of this process (RLIMIT_NOFILE). An agent of many
// executors holds about three descriptors for each (its connection to the
// agent, the agent's pidfd of it, a call in flight), and many distributions
// start processes with a soft limit of 1,024 under a hard one far higher:
// the programs that serve many connections (mesos-launch, with its embedded
// cluster, and mesos-launch-cluster) raise the soft limit to the hard one
// at start, as Go's runtime does for every program, and give the limit they
// started with back to the programs they start.
#ifndef MLAUNCH_COMMON_FILE_LIMIT_H_
#define MLAUNCH_COMMON_FILE_LIMIT_H_

#include <cstdint>

namespace mlaunch {

// Raises the soft limit to the hard one (to 1,048,576 when the hard one is
// unlimited); returns the soft limit in effect afterwards (0 when it cannot
// be read). Call once, before any thread starts.
std::uint64_t RaiseOpenFileLimit();

// The soft limit in effect (0 when it cannot be read).
std::uint64_t OpenFileLimit();

// In a child between fork (or vfork) and exec: puts back the soft limit the
// process had before RaiseOpenFileLimit(), so that what it runs gets the
// limit it would have had (some programs use select(), which cannot take a
// descriptor above 1,023). One system call; nothing when nothing was raised.
void RestoreOpenFileLimitInChild();

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_FILE_LIMIT_H_

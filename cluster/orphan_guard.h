// The orphan guard: a small process that outlives this one only to SIGKILL
// the process groups of executors that must not outlive it.
//
// A dying agent cannot clean up after itself: SIGKILL gives it no chance.
// PR_SET_PDEATHSIG (cluster/agent_process.h) ends the executor process
// itself when the agent's worker thread dies, but not what the executor
// started (a shell's children, a service's workers), which the kernel hands
// to init. So the first guarded group forks the guard: it holds one end of
// a socket pair, the agent's process the other (close-on-exec, never
// inherited by executors). The kernel closes the agent's end however the
// process ends; the guard then reads end-of-file, SIGKILLs every group still
// registered and exits. It ignores the terminal's and the polite signals
// and sits in a session of its own, so a kill of the cluster's process
// group (Ctrl-C, `kill -- -PGID`) does not take it along; SIGKILL of the
// guard itself still ends it. It holds no other descriptor of ours (no
// listening socket stays bound) and works in `/`.
//
// One guard serves every agent of the process. A group must be unguarded
// once it is gone (reaped), before its id can be given to a new group;
// otherwise a later end of this process would kill a stranger.
//
// Threads: any; the calls are serialised. The guard itself does only
// async-signal-safe system calls (it is forked from a threaded process).
#ifndef MLAUNCH_CLUSTER_ORPHAN_GUARD_H_
#define MLAUNCH_CLUSTER_ORPHAN_GUARD_H_

#include <sys/types.h>

#include <optional>

#include "common/status.h"

namespace mlaunch::cluster {

// Registers `pgid`; starts the guard on first use. Fails when the guard
// cannot be started or reached (the group is then not guarded), or when it
// already guards kMaxGuardedGroups groups.
Status GuardProcessGroup(pid_t pgid);
// Harmless for a group that is not guarded.
void UnguardProcessGroup(pid_t pgid);

// The guard's pid, once started (for tests).
std::optional<pid_t> OrphanGuardPid();

inline constexpr int kMaxGuardedGroups = 16384;

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_ORPHAN_GUARD_H_

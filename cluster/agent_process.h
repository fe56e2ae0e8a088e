// Starting and ending executor processes: the I/O edge of the agent.
//
// SpawnExecutor() runs a CommandInfo (shell: /bin/sh -c VALUE; otherwise
// VALUE exec'd with `arguments`, arguments[0] being argv[0], a bare name
// looked up on the executor's own PATH) as a child in a new process group
// whose id is the child's pid, with the working directory, stdout and stderr
// files and environment given, no inherited file descriptors and default
// signal dispositions and mask. Errors (bad command, files that cannot be
// opened, fork failure) are values. With `die_with_agent` the child gets
// SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG): for
// agents whose executors must not outlive them, as mesos-launch's embedded
// one. Call it from a thread that lives as long as the agent.
#ifndef MLAUNCH_CLUSTER_AGENT_PROCESS_H_
#define MLAUNCH_CLUSTER_AGENT_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

Result<pid_t> SpawnExecutor(const mesos::v1::CommandInfo& command,
                            const std::map<std::string, std::string>& env,
                            const std::string& sandbox, bool die_with_agent = false);

// SIGKILL to the whole process group `pgid`; harmless when it is gone.
void KillProcessGroup(pid_t pgid);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_AGENT_PROCESS_H_

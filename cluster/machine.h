// The size of this machine as an agent offers it when no resources are
// given: what Mesos' agent computes by default (docs/embedded-cluster.md:
// all CPUs; memory less 1 GB when there are at least 2 GB, else half of it;
// the *size* of the work directory's filesystem -- not its free space --
// less 5 GB when it has at least 10 GB, else half of it; ports
// 31000-32000), in the text form ParseResources() reads.
#ifndef MLAUNCH_CLUSTER_MACHINE_H_
#define MLAUNCH_CLUSTER_MACHINE_H_

#include <optional>
#include <string>

namespace mlaunch::cluster {

// The pure rule: from the number of CPUs (0 counts as 1), the total memory
// and the filesystem's size in MB (nullopt when unknown: 1 GB of memory
// and 10 GB of disk are offered then).
std::string DefaultResources(unsigned cpus, std::optional<double> memory_mb,
                             std::optional<double> filesystem_mb);

// E.g. "cpus:2;mem:23000;disk:120000;ports:[31000-32000]". Reads the CPU
// count, /proc/meminfo and statvfs(work_dir).
std::string MachineResources(const std::string& work_dir);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_MACHINE_H_

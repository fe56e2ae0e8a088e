// The size of this machine as an agent offers it when no resources are
// given: what Mesos' agent computes by default (all CPUs; memory less
// min(1 GB, half); the disk under the work directory less min(5 GB, half);
// ports 31000-32000), in the text form ParseResources() reads.
#ifndef MLAUNCH_CLUSTER_MACHINE_H_
#define MLAUNCH_CLUSTER_MACHINE_H_

#include <string>

namespace mlaunch::cluster {

// E.g. "cpus:2;mem:23000;disk:120000;ports:[31000-32000]". Reads
// /proc/meminfo and statvfs(work_dir); falls back to 1 GB of memory and
// 10 GB of disk when they cannot be read.
std::string MachineResources(const std::string& work_dir);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_MACHINE_H_

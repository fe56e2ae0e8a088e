#include "cluster/machine.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace mlaunch::cluster {

std::string DefaultResources(unsigned cpus, std::optional<double> memory_mb,
                             std::optional<double> filesystem_mb) {
  double mem = 1024;
  if (memory_mb) mem = *memory_mb >= 2048 ? *memory_mb - 1024 : *memory_mb / 2;
  double disk = 10240;
  if (filesystem_mb) disk = *filesystem_mb >= 10240 ? *filesystem_mb - 5120 : *filesystem_mb / 2;
  return "cpus:" + std::to_string(std::max(1U, cpus)) +
         ";mem:" + std::to_string(static_cast<long>(mem)) +
         ";disk:" + std::to_string(static_cast<long>(disk)) + ";ports:[31000-32000]";
}

std::string MachineResources(const std::string& work_dir) {
  std::optional<double> memory_mb;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemTotal:") {
      memory_mb = kb / 1024;
      break;
    }
    meminfo.ignore(256, '\n');
  }
  std::optional<double> filesystem_mb;
  struct statvfs fs {};
  if (statvfs(work_dir.c_str(), &fs) == 0) {
    filesystem_mb = static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize) / 1048576.0;
  }
  return DefaultResources(std::thread::hardware_concurrency(), memory_mb, filesystem_mb);
}

}  // namespace mlaunch::cluster

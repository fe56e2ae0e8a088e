#include "cluster/machine.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <thread>

namespace mlaunch::cluster {

std::string MachineResources(const std::string& work_dir) {
  const unsigned cpus = std::max(1U, std::thread::hardware_concurrency());
  double mem_mb = 1024;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kb = 0;
  while (meminfo >> key >> kb) {
    if (key == "MemTotal:") {
      mem_mb = kb / 1024;
      break;
    }
    meminfo.ignore(256, '\n');
  }
  mem_mb -= std::min(1024.0, mem_mb / 2);
  double disk_mb = 10000;
  struct statvfs fs {};
  if (statvfs(work_dir.c_str(), &fs) == 0) {
    disk_mb = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize) / 1048576.0;
    disk_mb -= std::min(5120.0, disk_mb / 2);
  }
  return "cpus:" + std::to_string(cpus) + ";mem:" + std::to_string(static_cast<long>(mem_mb)) +
         ";disk:" + std::to_string(static_cast<long>(disk_mb)) + ";ports:[31000-32000]";
}

}  // namespace mlaunch::cluster

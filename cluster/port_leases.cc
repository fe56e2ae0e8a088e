#include "cluster/port_leases.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace mlaunch::cluster {
namespace {

std::string LeaseFile(const std::string& dir, const std::string& address, std::uint32_t port) {
  return dir + "/" + address + ":" + std::to_string(port);
}

// Opens (making it when missing) the lease file of a port.
int OpenLeaseFile(const std::string& dir, const std::string& address, std::uint32_t port) {
  return open(LeaseFile(dir, address, port).c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
}

}  // namespace

PortLease& PortLease::operator=(PortLease&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

PortLease::~PortLease() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

std::string DefaultPortLeaseDir() {
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  return base + "/mesos-launch-ports";
}

std::vector<std::uint32_t> PortsOf(
    const google::protobuf::RepeatedPtrField<mesos::v1::Resource>& resources) {
  std::vector<std::uint32_t> ports;
  for (const mesos::v1::Resource& resource : resources) {
    if (resource.name() != "ports" || !resource.has_ranges()) continue;
    for (const mesos::v1::Value::Range& range : resource.ranges().range()) {
      // A task names its few ports; a range as wide as an agent's is not a
      // task's, and is not leased port by port.
      if (range.end() < range.begin() || range.end() - range.begin() >= 1024) continue;
      for (std::uint64_t port = range.begin(); port <= range.end(); ++port) {
        ports.push_back(static_cast<std::uint32_t>(port));
      }
    }
  }
  return ports;
}

Result<std::vector<PortLease>> LeasePorts(const std::string& dir, const std::string& address,
                                          const std::vector<std::uint32_t>& ports) {
  std::vector<PortLease> leases;
  if (ports.empty()) return leases;
  if (mkdir(dir.c_str(), 01777) == 0) {
    chmod(dir.c_str(), 01777);  // past the umask: every user's agents share it
  } else if (errno != EEXIST) {
    return Status::Error(StatusCode::kInternal, "cannot make the port lease directory " + dir +
                                                    ": " + std::strerror(errno));
  }
  for (std::uint32_t port : ports) {
    const int fd = OpenLeaseFile(dir, address, port);
    if (fd < 0) {
      return Status::Error(StatusCode::kInternal, "cannot open the lease of port " +
                                                      std::to_string(port) + " in " + dir + ": " +
                                                      std::strerror(errno));
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      close(fd);
      return Status::Error(StatusCode::kUnavailable,
                           "port " + std::to_string(port) + " of " + address +
                               " is taken by a task of another mesos-launch or "
                               "mesos-launch-cluster on this machine");
    }
    leases.emplace_back(fd);
  }
  return leases;
}

bool LeasedElsewhere(const std::string& dir, const std::string& address, std::uint32_t port) {
  const int fd = open(LeaseFile(dir, address, port).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // never leased
  const bool held = flock(fd, LOCK_EX | LOCK_NB) != 0;
  close(fd);  // releases what this probe took
  return held;
}

}  // namespace mlaunch::cluster

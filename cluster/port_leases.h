// Port leases: the ports an agent gave to tasks, held between processes.
// Two mesos-launch runs (or clusters) on one machine have agents on the same
// loopback address offering the same ports; without a lease both could give
// port 31000 to a task, one task would fail with "Address already in use"
// and go on failing. A lease is an flock on a file per address and port in a
// directory every agent on the machine shares: taken when a task is
// launched, held until its executor ends, and released by the kernel when
// the holder's process ends, however it ends. A port leased elsewhere fails
// the launch at once, saying so (docs/running.md).
#ifndef MLAUNCH_CLUSTER_PORT_LEASES_H_
#define MLAUNCH_CLUSTER_PORT_LEASES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

// One port held; move-only, released when destroyed.
class PortLease {
 public:
  explicit PortLease(int fd) : fd_(fd) {}
  PortLease(PortLease&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  PortLease& operator=(PortLease&& other) noexcept;
  PortLease(const PortLease&) = delete;
  PortLease& operator=(const PortLease&) = delete;
  ~PortLease();

 private:
  int fd_;
};

// $TMPDIR/mesos-launch-ports (else /tmp/...): shared by every user's agents,
// so it is made sticky and writable by all, as /tmp is.
std::string DefaultPortLeaseDir();

// The ports named by "ports" resources (ranges) of `resources`.
std::vector<std::uint32_t> PortsOf(
    const google::protobuf::RepeatedPtrField<mesos::v1::Resource>& resources);

// Leases every one of `ports` on `address`, or none: the error names the
// first one held elsewhere (kUnavailable), or why the lease directory
// cannot be used.
Result<std::vector<PortLease>> LeasePorts(const std::string& dir, const std::string& address,
                                          const std::vector<std::uint32_t>& ports);

// True when another holder (another process, or another agent of this one)
// has `port` of `address` leased now.
bool LeasedElsewhere(const std::string& dir, const std::string& address, std::uint32_t port);

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_PORT_LEASES_H_

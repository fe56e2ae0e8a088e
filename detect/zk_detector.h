// ZooKeeper master detection: finds the leading Mesos master through the
// masters' leader election in ZooKeeper, the way Mesos' own detector does,
// and reports every change; and, for a master, takes part in that election
// (ZkDetectorOptions::contend_with). The only unit that includes the
// ZooKeeper C client (zookeeper_mt); callers see plain values.
//
// Masters contend by creating ephemeral sequential znodes directly under the
// target's path, named `<label>_<sequence>` (today `json.info_0000000042`)
// or, from very old masters, a bare `<sequence>`. The member with the
// smallest sequence number leads; other children such as `log_replicas` are
// skipped. The leader's content is read according to its label: `json.info`
// is MasterInfo as JSON, `info` is MasterInfo in protobuf's binary form, and
// a bare sequence holds `master@ip:port`. The address used is `address.ip`
// (else `address.hostname`) with `address.port`, else the `pid`; never the
// deprecated byte-swapped `ip` field.
//
// Behaviour:
//  - The detector watches the path's children and re-reads on every change.
//    A missing path is reported as "no leader" and watched until it appears.
//  - Every change of the detection is reported once: a new leader, "no
//    leader" (with the reason, such as an empty path or unreadable leader
//    data), or a different reason. The first detection is always reported.
//  - While the connection to ZooKeeper is down, the last detection stands
//    (the masters are probably fine; only our link is not). When ZooKeeper
//    expires the session, or the client cannot reconnect within the session
//    timeout (after which ZooKeeper has surely expired it, and after an
//    ensemble lost its data it would refuse the old session forever), the
//    detector starts a new session, reads the children again and re-watches.
//  - Contending (contend_with set): in every session, once connected, the
//    detector creates the path (and its parents) if missing, then an
//    ephemeral sequential `<path>/json.info_` node holding the given
//    MasterInfo JSON, as a Mesos master does; Detection::own names it, so
//    the caller leads when `leader->znode == own`. The node lives as long as
//    the session: it disappears when the detector is destroyed, or when
//    ZooKeeper expires the session (then a new session contends again, with a
//    new, higher sequence). If the creation fails (including a connection
//    lost before ZooKeeper answered, when it cannot be known whether the node
//    exists), the session is closed, which removes whatever it created, and
//    a new one tries again after retry_delay.
//  - With credentials, every session authenticates with ZooKeeper's digest
//    scheme. The password is never logged or reported.
//
// Thread-safety: Start() creates one worker thread. All ZooKeeper requests
// and every callback run on it, one at a time, with no internal lock held, so
// a callback may call Current(). A callback must not destroy the detector.
// Current() may be called from any thread. The destructor stops the worker
// and closes the session; no callback runs after it returns.
//
// The free functions below are the pure parts (naming, leader choice,
// content parsing), exposed for tests; they do no I/O.
#ifndef MLAUNCH_DETECT_ZK_DETECTOR_H_
#define MLAUNCH_DETECT_ZK_DETECTOR_H_

#ifdef MLAUNCH_PURE_CORE
#error "a pure core does no I/O: the network stays in its program's run loop (docs/architecture.md)"
#endif

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "detect/master_address.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch {

// A child of the election path that takes part in the election.
struct ZkMembership {
  std::string name;   // e.g. "json.info_0000000007"
  std::string label;  // e.g. "json.info"; empty for a bare sequence
  uint64_t sequence = 0;
  friend bool operator==(const ZkMembership&, const ZkMembership&) = default;
};

// The membership a child name denotes, or nullopt (e.g. "log_replicas").
std::optional<ZkMembership> ParseZkMembership(std::string_view child_name);

// The member with the smallest sequence number among `children` (ties, which
// ZooKeeper never produces, go to the smaller name), or nullopt.
std::optional<ZkMembership> SelectLeader(const std::vector<std::string>& children);

struct DetectedMaster {
  std::string znode;           // the leader's child name
  HostPort address;            // where its HTTP API listens
  mesos::v1::MasterInfo info;  // as published; for a bare sequence only `pid` is set

  // Same election member at the same address.
  friend bool operator==(const DetectedMaster& a, const DetectedMaster& b) {
    return a.znode == b.znode && a.address == b.address && a.info.id() == b.info.id();
  }
};

// Reads a leader's node content according to its label.
Result<DetectedMaster> ParseLeaderData(const ZkMembership& leader, std::string_view data);

struct Detection {
  std::optional<DetectedMaster> leader;
  // Why there is no leader, for a person (e.g. "no master is registered
  // under /mesos"); empty when `leader` is set.
  std::string problem;
  // When contending: our own election node's child name, once created in the
  // current session; empty otherwise.
  std::string own;
  friend bool operator==(const Detection&, const Detection&) = default;
};

struct ZkDetectorOptions {
  // Asked of ZooKeeper, which bounds it by its tickTime (2 to 20 ticks).
  // Mesos' own detector uses 10 s.
  std::chrono::milliseconds session_timeout{10000};
  // Pause before creating a client again after it could not be created or
  // ZooKeeper rejected the credentials.
  std::chrono::milliseconds retry_delay{1000};
  // The ZooKeeper client's own log lines go to stderr when set; by default
  // they are dropped (detections carry what a person needs).
  bool client_log_to_stderr = false;
  // Set: also take part in the election with this MasterInfo JSON (above).
  std::optional<std::string> contend_with;
};

class ZkDetector {
 public:
  using Callback = std::function<void(const Detection&)>;

  // Starts watching `target` in the background; `on_change` receives every
  // change (see above). Fails only for a target no ZooKeeper client can use
  // (no servers, a relative path) or a non-positive session timeout.
  static Result<std::unique_ptr<ZkDetector>> Start(ZooKeeperTarget target, Callback on_change,
                                                   ZkDetectorOptions options = {});

  ~ZkDetector();
  ZkDetector(const ZkDetector&) = delete;
  ZkDetector& operator=(const ZkDetector&) = delete;

  // The latest detection, or nullopt before the first one.
  std::optional<Detection> Current() const;

 private:
  class Impl;
  explicit ZkDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_DETECT_ZK_DETECTOR_H_

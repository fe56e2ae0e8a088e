// Running a spec against a Mesos master: resolves the master (--master,
// MESOS_MASTER, the spec's `master:`; when none is named, an
// EmbeddedCluster started in this process), reads the run's secrets, opens
// the failover state, and runs the Driver until it ends. SIGINT and SIGTERM stop
// the run cleanly (a second one tears down at once). This is the edge where
// the real world is plugged in: libcurl, ZooKeeper, the clock, signals.
#ifndef MLAUNCH_LAUNCHER_RUN_H_
#define MLAUNCH_LAUNCHER_RUN_H_

#include <chrono>
#include <optional>
#include <ostream>
#include <string>

#include "detect/master_address.h"
#include "launcher/compile.h"
#include "launcher/inputs.h"
#include "launcher/plan.h"
#include "launcher/spec/spec.h"

namespace mlaunch {

struct RunFlags {
  // The master named (NamedMaster), parsed; nullopt: the embedded cluster.
  std::optional<MasterAddress> master;
  std::optional<std::chrono::milliseconds> duration;
  std::chrono::milliseconds connect_timeout{60000};
  std::string state_dir;  // empty: StateStore::DefaultDir
  std::string secret_file;
  std::string ca_file;
  bool insecure = false;
  bool json = false;
  // The embedded cluster's: the directory of the mesos-launch-executor its
  // agent runs as the command executor of command tasks (empty: they fail).
  std::string launcher_dir;
  // --advertise ADDRESS[:PORT]: where agents fetch a served executor.
  std::string advertise;
};

// The master the run is pointed at: `flag` (--master), else MESOS_MASTER,
// else the spec's `master:`; empty when none is named (the embedded
// cluster).
std::string NamedMaster(const std::string& flag, const spec::Spec& spec, const World& world);

// Returns the exit code. `spec` must have been checked and `inputs` read for
// it. A served executor (compile.executor) is served for as long as the run
// lasts, and the spec compiled with its URL.
int RunSpec(const spec::Spec& spec, const Inputs& inputs, CompileOptions compile,
            const RunFlags& flags, const World& world, std::ostream& out, std::ostream& err);

}  // namespace mlaunch

#endif  // MLAUNCH_LAUNCHER_RUN_H_

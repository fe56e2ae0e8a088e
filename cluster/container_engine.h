// Running an executor in a container image, through podman with runc: the
// way Mesos' Docker containerizer drives the `docker` command, so the
// agents use an existing container engine rather than one of our own
// (docs/embedded-cluster.md, "Container images").
//
// The executor's process is `podman run` itself, attached: its stdout and
// stderr are the container's, it ends when the container does, and the
// agent starts, watches and reaps it as any executor process. What podman
// leaves behind (a container whose `podman run` was killed) is removed by
// name when the executor ends, and by label when the agent starts or stops.
//
// ContainerPlan() is pure: it decides, from a ContainerInfo, whether this
// agent can run it and the arguments of `podman run`. The engine's calls
// run podman and wait for it.
#ifndef MLAUNCH_CLUSTER_CONTAINER_ENGINE_H_
#define MLAUNCH_CLUSTER_CONTAINER_ENGINE_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "mesos/v1/mesos.pb.h"

namespace mlaunch::cluster {

// How long one podman call other than `podman run` (image exists, load,
// rm, ps, inspect) may take by default before it is killed and counts as
// failed.
inline constexpr std::chrono::milliseconds kPodmanCallLimit{120'000};

// Where the sandbox appears inside a container, as on a Mesos agent
// (its --sandbox_directory default); MESOS_SANDBOX says so to the executor.
inline constexpr char kContainerSandbox[] = "/mnt/mesos/sandbox";

// One executor's container.
struct ContainerRun {
  std::string name;   // unique: "mesos-launch-<container id>"
  std::string label;  // "KEY=VALUE" every container of the agent has
  mesos::v1::ContainerInfo info;
  mesos::v1::CommandInfo command;      // the executor's command
  std::vector<std::string> env_names;  // passed into the container by name
  std::string sandbox;                 // on the host
  double cpus = 0;                     // limits: the executor's and its task's
  double mem_mb = 0;
  // Absolute paths on the host the command needs (the executor the
  // embedded cluster runs in place): mounted read-only at the same path.
  std::vector<std::string> host_files;
};

// The image `info` names and the arguments of `podman run` (after "podman")
// for `run`, or kInvalidData saying what this agent cannot do (no registry
// access, so no pull; the host's network only, as the agents listen on
// loopback; no privileged containers, ...).
struct PodmanRun {
  std::string image;
  std::vector<std::string> arguments;
};
Result<PodmanRun> ContainerPlan(const ContainerRun& run);

class ContainerEngine {
 public:
  // `podman` is the program's path; `conf` the containers.conf our podman
  // calls read (CONTAINERS_CONF: the system's files are never edited).
  ContainerEngine(std::string podman, std::string conf, std::string label,
                  std::chrono::milliseconds call_limit = kPodmanCallLimit);

  // podman found on `path` (a PATH value), with the containers.conf written
  // in `work_dir`; or kUnavailable saying what to install.
  static Result<ContainerEngine> Find(const std::string& path, const std::string& work_dir,
                                      const std::string& label);

  // OK when podman's local store holds `image`; else kInvalidData saying how to
  // put it there (there is no registry access).
  Status HasImage(const std::string& image) const;
  // Loads the images of a docker-archive or oci-archive file into the local
  // store (podman load); an error quotes podman.
  Status Load(const std::string& archive) const;
  // The command that runs `run` as the executor's process, and the
  // environment it needs besides the executor's (CONTAINERS_CONF).
  mesos::v1::CommandInfo RunCommand(const PodmanRun& run) const;
  std::map<std::string, std::string> Environment(std::map<std::string, std::string> env) const;
  // Removes the container (killing what runs in it); harmless when gone.
  void Remove(const std::string& name) const;
  // Removes every container carrying the agent's label.
  void RemoveAll() const;
  // The host pid of the container's first process (a session and process
  // group leader), once it runs; nullopt when it does not.
  std::optional<pid_t> InitPid(const std::string& name) const;
  // The names of the containers carrying the label (for tests).
  std::vector<std::string> List() const;

  const std::string& label() const { return label_; }

 private:
  std::string podman_;
  std::string conf_;
  std::string label_;
  std::chrono::milliseconds call_limit_;
};

}  // namespace mlaunch::cluster

#endif  // MLAUNCH_CLUSTER_CONTAINER_ENGINE_H_

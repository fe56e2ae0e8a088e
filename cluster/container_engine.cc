#include "cluster/container_engine.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "common/atomic_file.h"
#include "common/text.h"

namespace mlaunch::cluster {
namespace {

using mesos::v1::ContainerInfo;

Status Unsupported(const std::string& what) {
  return Status::InvalidData("this agent cannot run the container: " + what);
}

// The containers.conf our podman calls read: no default ulimits (podman's
// defaults exceed what a container may set here), runc, cgroups managed
// without systemd, events to a file.
constexpr char kContainersConf[] =
    "# Written by mesos-launch-cluster for its podman calls (CONTAINERS_CONF).\n"
    "[containers]\n"
    "default_ulimits = []\n"
    "[engine]\n"
    "runtime = \"runc\"\n"
    "cgroup_manager = \"cgroupfs\"\n"
    "events_logger = \"file\"\n";

// Runs `argv` with `env` and waits, at most `limit` (then it is killed);
// `output` gets its stdout and stderr. The exit status, or -1 when it could
// not run, ended by a signal or ran out of time.
int RunAndWait(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               std::chrono::milliseconds limit, std::string& output) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd readable{pipe_fds[0], POLLIN, 0};
    const int ready = left.count() > 0 ? poll(&readable, 1, static_cast<int>(left.count())) : 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {  // out of time (or poll failed): it is not waited for longer
      kill(pid, SIGKILL);
      output += "(podman ran out of time)";
      break;
    }
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (output.size() < 64 * 1024) output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Trimmed(std::string_view text) { return std::string(TrimSpace(text)); }

std::string Number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

Result<PodmanRun> ContainerPlan(const ContainerRun& run) {
  const ContainerInfo& info = run.info;
  PodmanRun out;
  std::vector<std::string>& a = out.arguments;
  a = {"run",          "--name",
       run.name,       "--label",
       run.label,      "--rm",
       "--pull=never", "--log-driver=none",
       "--volume",     run.sandbox + ":" + kContainerSandbox,
       "--workdir",    kContainerSandbox};
  if (run.cpus > 0) a.push_back("--cpus=" + Number(run.cpus));
  if (run.mem_mb > 0) {
    a.push_back("--memory=" + std::to_string(static_cast<long long>(std::ceil(run.mem_mb))) + "m");
  }
  if (info.type() == ContainerInfo::MESOS) {
    if (!info.has_mesos() || !info.mesos().has_image()) {
      return Unsupported(
          "Mesos' containerizer without an image is the agent's own filesystem; "
          "give ContainerInfo.mesos.image");
    }
    const mesos::v1::Image& image = info.mesos().image();
    if (image.type() != mesos::v1::Image::DOCKER || !image.has_docker()) {
      return Unsupported("only Docker images run here (Image.type DOCKER), not APPC");
    }
    if (!image.cached()) {
      return Unsupported(
          "the image is to be pulled again (Image.cached is false), and this "
          "agent has no registry access");
    }
    if (info.network_infos_size() > 0) {
      return Unsupported(
          "it joins a CNI network (ContainerInfo.network_infos), and this agent "
          "has none");
    }
    out.image = image.docker().name();
  } else {
    if (!info.has_docker()) return Unsupported("a DOCKER container needs ContainerInfo.docker");
    const ContainerInfo::DockerInfo& docker = info.docker();
    if (docker.force_pull_image()) {
      return Unsupported(
          "the image is to be pulled (force_pull_image), and this agent has no "
          "registry access");
    }
    if (docker.privileged()) return Unsupported("privileged containers are not run here");
    if (docker.parameters_size() > 0) {
      return Unsupported("DockerInfo.parameters (docker run options) are not passed on here");
    }
    // The executor inside must reach this agent, which listens on a
    // loopback address: only the host's network can.
    if (docker.network() != ContainerInfo::DockerInfo::HOST) {
      return Unsupported(
          "its executor could not reach this agent, which listens on loopback, "
          "from a network of its own (DockerInfo.network " +
          ContainerInfo::DockerInfo::Network_Name(docker.network()) + "); use the host's network");
    }
    out.image = docker.image();
  }
  a.push_back("--network=host");
  for (const mesos::v1::Volume& v : info.volumes()) {
    std::string source;
    if (v.has_host_path()) {
      // A relative host path is in the sandbox (Docker's containerizer).
      source = v.host_path().empty() || v.host_path()[0] != '/' ? run.sandbox + "/" + v.host_path()
                                                                : v.host_path();
    } else if (v.has_source() && v.source().type() == mesos::v1::Volume::Source::SANDBOX_PATH &&
               v.source().sandbox_path().type() == mesos::v1::Volume::Source::SandboxPath::SELF) {
      source = run.sandbox + "/" + v.source().sandbox_path().path();
    } else {
      return Unsupported("volume " + v.container_path() +
                         ": only host paths and the container's own sandbox paths are mounted");
    }
    a.push_back("--volume=" + source + ":" + v.container_path() +
                (v.mode() == mesos::v1::Volume::RO ? ":ro" : ":rw"));
  }
  for (const std::string& file : run.host_files)
    a.push_back("--volume=" + file + ":" + file + ":ro");
  for (const std::string& name : run.env_names) a.push_back("--env=" + name);
  const mesos::v1::CommandInfo& command = run.command;
  if (command.shell()) {
    a.push_back("--entrypoint=/bin/sh");
    a.push_back(out.image);
    a.push_back("-c");
    a.push_back(command.value());
  } else {
    a.push_back("--entrypoint=" + command.value());
    a.push_back(out.image);
    for (int i = 1; i < command.arguments_size(); ++i) a.push_back(command.arguments(i));
  }
  return out;
}

ContainerEngine::ContainerEngine(std::string podman, std::string conf, std::string label,
                                 std::chrono::milliseconds call_limit)
    : podman_(std::move(podman)),
      conf_(std::move(conf)),
      label_(std::move(label)),
      call_limit_(call_limit) {}

Result<ContainerEngine> ContainerEngine::Find(const std::string& path, const std::string& work_dir,
                                              const std::string& label) {
  std::string podman;
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/podman";
    if (access(candidate.c_str(), X_OK) == 0) {
      podman = candidate;
      break;
    }
  }
  if (podman.empty()) {
    return Status::Error(StatusCode::kUnavailable,
                         "this agent runs container images with podman and runc, and podman "
                         "is not installed (Debian: apt-get install podman runc)");
  }
  const std::string conf = (std::filesystem::path(work_dir) / "containers.conf").string();
  if (Status written = WriteFileAtomically(conf, kContainersConf); !written.ok()) {
    return written;
  }
  return ContainerEngine(std::move(podman), conf, label);
}

Status ContainerEngine::HasImage(const std::string& image) const {
  std::string output;
  const int code = RunAndWait({podman_, "image", "exists", image},
                              {"CONTAINERS_CONF=" + conf_, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"},
                              call_limit_, output);
  if (code == 0) return Status();
  if (code == 1) {
    return Status::InvalidData("image " + image +
                               " is not in podman's local store, and this "
                               "agent has no registry access: put it there first (podman load "
                               "-i ARCHIVE, or podman import)");
  }
  return Status::Error(StatusCode::kUnavailable,
                       "podman cannot look up image " + image + ": " + Trimmed(output));
}

Status ContainerEngine::Load(const std::string& archive) const {
  std::string output;
  if (RunAndWait({podman_, "load", "--quiet", "--input", archive},
                 {"CONTAINERS_CONF=" + conf_, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, call_limit_,
                 output) == 0) {
    return Status();
  }
  return Status::InvalidData("podman cannot load the image archive " + archive + ": " +
                             Trimmed(output));
}

mesos::v1::CommandInfo ContainerEngine::RunCommand(const PodmanRun& run) const {
  mesos::v1::CommandInfo command;
  command.set_shell(false);
  command.set_value(podman_);
  command.add_arguments(podman_);
  for (const std::string& a : run.arguments) command.add_arguments(a);
  return command;
}

std::map<std::string, std::string> ContainerEngine::Environment(
    std::map<std::string, std::string> env) const {
  env["CONTAINERS_CONF"] = conf_;
  return env;
}

void ContainerEngine::Remove(const std::string& name) const {
  std::string ignored;
  RunAndWait({podman_, "rm", "--force", "--time=0", "--ignore", name},
             {"CONTAINERS_CONF=" + conf_, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, call_limit_,
             ignored);
}

std::vector<std::string> ContainerEngine::List() const {
  std::string output;
  std::vector<std::string> names;
  if (RunAndWait({podman_, "ps", "--all", "--filter=label=" + label_, "--format={{.Names}}"},
                 {"CONTAINERS_CONF=" + conf_, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, call_limit_,
                 output) != 0) {
    return names;
  }
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

std::optional<pid_t> ContainerEngine::InitPid(const std::string& name) const {
  std::string output;
  if (RunAndWait({podman_, "inspect", "--type=container", "--format={{.State.Pid}}", name},
                 {"CONTAINERS_CONF=" + conf_, "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, call_limit_,
                 output) != 0) {
    return std::nullopt;
  }
  try {
    const long pid = std::stol(output);
    if (pid > 1) return static_cast<pid_t>(pid);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

void ContainerEngine::RemoveAll() const {
  for (const std::string& name : List()) Remove(name);
}

}  // namespace mlaunch::cluster

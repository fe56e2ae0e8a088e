// The typed spec: what a person asked for, after loading and checking.
//
// Plain values with the defaults of the spec language already applied
// (docs/spec.md is the reference; launcher/spec/fields.cc is the table both
// come from). `SourceMap` remembers where each path was written, so later
// checks can point at the line. No behaviour here.
#ifndef MLAUNCH_LAUNCHER_SPEC_SPEC_H_
#define MLAUNCH_LAUNCHER_SPEC_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/diagnostic.h"
#include "common/regex.h"
#include "launcher/spec/units.h"

namespace mlaunch::spec {

using Labels = std::map<std::string, std::string>;

struct Tls {
  std::string ca_file;
  bool insecure = false;
};

struct Framework {
  std::string name;  // default: mesos-launch-<file stem>
  std::string user;  // empty: the user running mesos-launch
  std::vector<std::string> roles{"*"};
  std::string principal;
  std::string secret_file;  // a path; the secret is read at run time
  Duration failover_timeout = Hours(1);
  bool checkpoint = true;
  Labels labels;
  std::string hostname;
  std::string webui_url;
};

struct Timeouts {
  Duration placement = Minutes(5);  // 0 = wait forever
};

struct Resources {
  double cpus = 0.1;
  Megabytes mem{32};
  Megabytes disk{0};
  int64_t gpus = 0;
};

enum class Protocol { kTcp, kUdp };

struct Port {
  std::string name;
  std::optional<int64_t> static_port;  // nullopt: any port from the offer
  // With a container on a bridge or CNI network: the port inside the
  // container that the host port leads to. nullopt: the host port's number.
  std::optional<int64_t> container_port;
  Protocol protocol = Protocol::kTcp;
  Labels labels;
};

enum class ConstraintOp { kUnique, kCluster, kGroupBy, kLike, kUnlike, kMaxPer, kIs };

struct Constraint {
  std::string field;  // "hostname" or an agent attribute
  ConstraintOp op = ConstraintOp::kUnique;
  std::string value;  // empty when the operator takes none
  // LIKE/UNLIKE: `value` compiled, once, by the compiler (launcher/compile.h).
  std::optional<Regex> regex;
};

struct EnvVar {
  std::string name;
  std::string value;      // a literal value, or
  std::string from_file;  // a file read by mesos-launch, or
  std::string from_env;   // a variable of mesos-launch's environment
  bool secret = false;    // never shown in plans, logs or events
};

enum class Extract { kAuto, kYes, kNo };

struct Artifact {
  std::string uri;
  Extract extract = Extract::kAuto;
  bool executable = false;
  bool cache = false;
  std::string output_file;
  std::string checksum;  // "sha256:<64 hex>" or empty
};

struct ExecutorResources {
  double cpus = 0.05;
  Megabytes mem{32};
  Megabytes disk{0};
};

struct Executor {
  std::string uri;  // empty: mesos-launch-executor on the agent
  std::string checksum;
  std::string command;  // empty: derived from uri
  ExecutorResources resources;
};

enum class ServiceType { kHttp };

struct Service {
  ServiceType type = ServiceType::kHttp;
  std::string port;  // a declared port name; default: the first
  std::string path = "/";
  std::string content_type;            // default by content
  std::optional<std::string> payload;  // exactly one of payload,
  std::string body_file;               // body_file (shipped inline) and
  std::string root;                    // root (a directory in the sandbox)
};

enum class HealthType { kHttp, kTcp, kCommand };

struct HealthCheck {
  HealthType type = HealthType::kHttp;
  std::string port;  // a declared port name; default: the first
  std::string path = "/health";
  std::string command;
  Duration interval = Seconds(10);
  Duration timeout = Seconds(5);
  Duration delay = Seconds(0);
  Duration grace_period = Seconds(30);
  int64_t max_consecutive_failures = 3;
};

enum class ContainerType { kMesos, kDocker };
enum class ContainerNetwork { kHost, kBridge, kCni };
enum class VolumeMode { kRw, kRo };

struct Volume {
  std::string container_path;  // absolute, inside the container
  std::string host_path;       // an absolute path on the agent, or
  std::string sandbox_path;    // a relative path in the task's sandbox
  VolumeMode mode = VolumeMode::kRw;
};

// The image the task (and its executor) runs in.
struct Container {
  std::string image;  // a Docker/OCI reference, e.g. "redis:7"
  ContainerType type = ContainerType::kMesos;
  bool force_pull = false;
  std::vector<Volume> volumes;
  ContainerNetwork network = ContainerNetwork::kHost;
  std::string network_name;  // network: cni: the CNI network joined
};

enum class RestartPolicy { kAlways, kOnFailure, kNever };

struct Backoff {
  Duration initial = Seconds(1);
  double factor = 2.0;
  Duration max = Minutes(1);
};

struct Restart {
  std::optional<RestartPolicy> policy;  // default: always for services,
                                        // on-failure for commands
  // The defaults give up on an instance that always fails after 10
  // restarts in about 5 minutes (1+2+4+...+32 s, then 1 min each).
  int64_t max_attempts = 10;  // 0 = no limit
  Duration window = Minutes(30);
  Backoff backoff;
  Duration reset_after = Minutes(10);
};

enum class Visibility { kFramework, kCluster, kExternal };

struct Discovery {
  std::string name;  // default: the task's name
  Visibility visibility = Visibility::kCluster;
};

enum class DependsCondition { kStarted, kHealthy, kCompleted };

struct Dependency {
  std::string task;
  DependsCondition condition = DependsCondition::kStarted;
};

struct Task {
  std::string name;
  int64_t instances = 1;
  Resources resources;
  std::vector<Port> ports;
  std::vector<Constraint> constraints;
  std::vector<std::string> accepted_roles;  // empty: any of framework.roles
  std::string user;
  std::map<std::string, EnvVar> env;
  std::vector<Artifact> artifacts;
  Executor executor;
  std::optional<Container> container;  // nullopt: the agent's own filesystem
  std::optional<Service> service;
  std::string command;            // shell command, or
  std::vector<std::string> args;  // argv, run without a shell
  std::optional<HealthCheck> health_check;
  Restart restart;
  Duration kill_grace_period = Seconds(10);
  std::string kill_signal = "SIGTERM";
  Duration staging_timeout = Minutes(5);
  Labels labels;
  std::optional<Discovery> discovery;
  std::vector<Dependency> depends_on;
};

// Where each path of the document was written: the value's position, or the
// key's for keys. Paths look like `tasks[web].ports[http].static`.
class SourceMap {
 public:
  void Set(const std::string& path, SourceLoc loc) { locs_[path] = loc; }
  bool Has(const std::string& path) const { return locs_.count(path) > 0; }
  // The position of `path`, or of its nearest ancestor that has one.
  SourceLoc Find(std::string path) const;

 private:
  std::unordered_map<std::string, SourceLoc> locs_;
};

// How the items of a list are shown in paths: by their name when they have
// one that no earlier item has (tasks[web]), else by index (tasks[3]).
std::vector<std::string> ItemLabels(const std::vector<std::string>& names);

struct Spec {
  int64_t version = 1;
  std::string master;
  Tls tls;
  Framework framework;
  Timeouts timeouts;
  std::vector<Task> tasks;

  std::string file;    // as given on the command line
  std::string source;  // the whole text, for diagnostics
  SourceMap where;
};

// How each enum is spelt in specs; shared by the loader, the schema and the
// docs. EnumTable<E>::kValues lists every value with its spelling.
template <typename E>
struct EnumTable;

#define MLAUNCH_ENUM_TABLE(E, ...)                                             \
  template <>                                                                  \
  struct EnumTable<E> {                                                        \
    static constexpr std::pair<E, std::string_view> kValues[] = {__VA_ARGS__}; \
  }

MLAUNCH_ENUM_TABLE(Protocol, {Protocol::kTcp, "tcp"}, {Protocol::kUdp, "udp"});
MLAUNCH_ENUM_TABLE(ConstraintOp, {ConstraintOp::kUnique, "UNIQUE"},
                   {ConstraintOp::kCluster, "CLUSTER"}, {ConstraintOp::kGroupBy, "GROUP_BY"},
                   {ConstraintOp::kLike, "LIKE"}, {ConstraintOp::kUnlike, "UNLIKE"},
                   {ConstraintOp::kMaxPer, "MAX_PER"}, {ConstraintOp::kIs, "IS"});
MLAUNCH_ENUM_TABLE(Extract, {Extract::kAuto, "auto"}, {Extract::kYes, "true"},
                   {Extract::kNo, "false"});
MLAUNCH_ENUM_TABLE(ServiceType, {ServiceType::kHttp, "http"});
MLAUNCH_ENUM_TABLE(HealthType, {HealthType::kHttp, "http"}, {HealthType::kTcp, "tcp"},
                   {HealthType::kCommand, "command"});
MLAUNCH_ENUM_TABLE(ContainerType, {ContainerType::kMesos, "mesos"},
                   {ContainerType::kDocker, "docker"});
MLAUNCH_ENUM_TABLE(ContainerNetwork, {ContainerNetwork::kHost, "host"},
                   {ContainerNetwork::kBridge, "bridge"}, {ContainerNetwork::kCni, "cni"});
MLAUNCH_ENUM_TABLE(VolumeMode, {VolumeMode::kRw, "rw"}, {VolumeMode::kRo, "ro"});
MLAUNCH_ENUM_TABLE(RestartPolicy, {RestartPolicy::kAlways, "always"},
                   {RestartPolicy::kOnFailure, "on-failure"}, {RestartPolicy::kNever, "never"});
MLAUNCH_ENUM_TABLE(Visibility, {Visibility::kFramework, "framework"},
                   {Visibility::kCluster, "cluster"}, {Visibility::kExternal, "external"});
MLAUNCH_ENUM_TABLE(DependsCondition, {DependsCondition::kStarted, "started"},
                   {DependsCondition::kHealthy, "healthy"},
                   {DependsCondition::kCompleted, "completed"});

#undef MLAUNCH_ENUM_TABLE

template <typename E>
concept SpecEnum = requires {
  EnumTable<E>::kValues;
};

template <SpecEnum E>
std::string_view Name(E value) {
  for (const auto& [v, name] : EnumTable<E>::kValues) {
    if (v == value) return name;
  }
  return "?";
}

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_SPEC_H_

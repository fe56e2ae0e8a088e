// The spec language's field table: every key of every mapping, its type (the
// C++ member it fills), its default, the Mesos field it becomes, its limits
// and a one-line description.
//
// One table, three readers: the YAML loader (reader.h) reads documents with
// it, the JSON Schema (schema.h) and the reference tables in docs/spec.md
// (docs.h) are generated from it, so the three cannot drift apart.
//
// Each Visit(v, object) calls, for every key, in document order:
//   v.Field("key", object.member, FieldInfo{...});
// and may name keys people bring from other tools:
//   v.Foreign("memory", "mem");
// A visitor is any type with those two member templates. Pure; no I/O.
#ifndef MLAUNCH_LAUNCHER_SPEC_FIELDS_H_
#define MLAUNCH_LAUNCHER_SPEC_FIELDS_H_

#include <optional>
#include <string_view>

#include "launcher/spec/spec.h"

namespace mlaunch::spec {

struct FieldInfo {
  std::string_view doc;         // one sentence for people
  std::string_view def = {};    // the default, as written in docs; empty: none
  std::string_view mesos = {};  // the Mesos field it becomes; empty: none
  bool required = false;
  std::optional<double> min = {};      // numbers: lower bound
  bool min_exclusive = false;          //   ... and whether it is excluded
  std::optional<double> max = {};      // numbers: upper bound (inclusive)
  std::string_view pattern = {};       // strings: a regex in the common subset of RE2 (the
                                       // loader) and ECMAScript (the JSON Schema)
  std::string_view pattern_text = {};  // ... and what it means, for messages
  bool any_scalar = false;             // strings: numbers and booleans are taken as text
};

// A name: lower-case letters, digits and dashes, starting with a letter.
inline constexpr std::string_view kNamePattern = "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$";
inline constexpr std::string_view kChecksumPattern = "^sha256:[0-9a-f]{64}$";
inline constexpr std::string_view kEnvNamePattern = "^[A-Za-z_][A-Za-z0-9_]*$";
inline constexpr std::string_view kNameText =
    "lower-case letters, digits and '-', starting with a letter, not ending with '-', at most "
    "63 characters";
inline constexpr std::string_view kChecksumText = "sha256: followed by 64 lower-case hex digits";
inline constexpr std::string_view kEnvNameText =
    "letters, digits and '_', not starting with a digit";

// `defaults:` is read as a task without a name whose keys fill in what each
// task leaves out (mappings merge key by key, lists are replaced whole).
struct TaskDefaults {
  Task task;
};

template <typename V>
void Visit(V& v, Tls& t) {
  v.Field("ca_file", t.ca_file,
          {.doc = "PEM file of the certificate authorities trusted for an https:// master",
           .def = "the system's"});
  v.Field("insecure", t.insecure,
          {.doc = "skip TLS certificate verification (for tests only)", .def = "false"});
}

template <typename V>
void Visit(V& v, Framework& f) {
  v.Field("name", f.name,
          {.doc = "the framework's name in the Mesos UI",
           .def = "mesos-launch-<spec file name>",
           .mesos = "FrameworkInfo.name"});
  v.Field("user", f.user,
          {.doc = "the Unix user tasks run as unless a task says otherwise",
           .def = "the user running mesos-launch",
           .mesos = "FrameworkInfo.user"});
  v.Field(
      "roles", f.roles,
      {.doc = "roles whose resources the framework may use (MULTI_ROLE)",
       .def = "[\"*\"]",
       .mesos = "FrameworkInfo.roles",
       .pattern = "^([*]|[a-zA-Z0-9_][a-zA-Z0-9_.-]*(/[a-zA-Z0-9_][a-zA-Z0-9_.-]*)*)$",
       .pattern_text = "\"*\" or a role name (letters, digits, '_', '.', '-', '/' between parts)"});
  v.Field("principal", f.principal,
          {.doc = "principal for authentication (HTTP basic user)",
           .mesos = "FrameworkInfo.principal"});
  v.Field("secret_file", f.secret_file,
          {.doc = "file holding the principal's secret; read at run time, never printed "
                  "(or set MESOS_LAUNCH_SECRET)"});
  v.Field("failover_timeout", f.failover_timeout,
          {.doc = "how long the master keeps tasks running while mesos-launch is away",
           .def = "1h",
           .mesos = "FrameworkInfo.failover_timeout"});
  v.Field("checkpoint", f.checkpoint,
          {.doc = "let tasks survive an agent restart",
           .def = "true",
           .mesos = "FrameworkInfo.checkpoint"});
  v.Field("labels", f.labels,
          {.doc = "free-form key/value pairs", .mesos = "FrameworkInfo.labels"});
  v.Field("hostname", f.hostname,
          {.doc = "host name shown in the Mesos UI", .mesos = "FrameworkInfo.hostname"});
  v.Field("webui_url", f.webui_url,
          {.doc = "link shown in the Mesos UI", .mesos = "FrameworkInfo.webui_url"});
  v.Foreign("role", "roles");
  v.Foreign("secret", "secret_file");
  v.Foreign("mesos_role", "roles");
  v.Foreign("framework_name", "name");
}

template <typename V>
void Visit(V& v, Timeouts& t) {
  v.Field("placement", t.placement,
          {.doc = "give up (exit 3) when instances cannot be placed for this long; 0s waits "
                  "forever",
           .def = "5m"});
}

template <typename V>
void Visit(V& v, Resources& r) {
  v.Field("cpus", r.cpus,
          {.doc = "CPU shares for one instance",
           .def = "0.1",
           .mesos = "TaskInfo.resources: cpus (SCALAR)",
           .min = 0.0,
           .min_exclusive = true,
           .max = 1024.0});
  v.Field("mem", r.mem,
          {.doc = "memory for one instance: a number of MB, or \"512MiB\", \"1GiB\"",
           .def = "32",
           .mesos = "TaskInfo.resources: mem (SCALAR, MB)",
           .min = 0.0,
           .min_exclusive = true,
           .max = 1024.0 * 1024 * 1024});
  v.Field("disk", r.disk,
          {.doc = "scratch disk for one instance: a number of MB or a size string",
           .def = "0",
           .mesos = "TaskInfo.resources: disk (SCALAR, MB)",
           .min = 0.0,
           .max = 1024.0 * 1024 * 1024});
  v.Field("gpus", r.gpus,
          {.doc = "whole GPUs for one instance (adds the GPU_RESOURCES capability)",
           .def = "0",
           .mesos = "TaskInfo.resources: gpus (SCALAR)",
           .min = 0.0,
           .max = 1024.0});
  v.Foreign("cpu", "cpus");
  v.Foreign("memory", "mem");
  v.Foreign("memory_mb", "mem");
  v.Foreign("memory_max", "mem");
  v.Foreign("ram", "mem");
  v.Foreign("disk_mb", "disk");
  v.Foreign("gpu", "gpus");
}

template <typename V>
void Visit(V& v, Port& p) {
  v.Field("name", p.name,
          {.doc = "the port's name: PORT_<NAME> in the environment",
           .mesos = "DiscoveryInfo.ports[].name",
           .required = true,
           .pattern = kNamePattern,
           .pattern_text = kNameText});
  v.Field("static", p.static_port,
          {.doc = "a fixed host port; leave out to get any free port from the offer",
           .def = "dynamic",
           .mesos = "TaskInfo.resources: ports (RANGES)",
           .min = 1.0,
           .max = 65535.0});
  v.Field("container_port", p.container_port,
          {.doc = "with a container on a bridge or CNI network: the port inside the "
                  "container that the host port leads to",
           .def = "the host port's number",
           .mesos = "DockerInfo.port_mappings[] / NetworkInfo.port_mappings[]",
           .min = 1.0,
           .max = 65535.0});
  v.Field("protocol", p.protocol,
          {.doc = "transport protocol", .def = "tcp", .mesos = "DiscoveryInfo.ports[].protocol"});
  v.Field("labels", p.labels,
          {.doc = "free-form key/value pairs", .mesos = "DiscoveryInfo.ports[].labels"});
  v.Foreign("port", "static");
  v.Foreign("hostPort", "static");
  v.Foreign("containerPort", "container_port");
  v.Foreign("targetPort", "container_port");
  v.Foreign("to", "static");
}

// The mapping form of a constraint; `[field, OPERATOR, value]` is the other.
template <typename V>
void Visit(V& v, Constraint& c) {
  v.Field("field", c.field,
          {.doc = "\"hostname\" or the name of an agent attribute", .required = true});
  v.Field("operator", c.op, {.doc = "how agents are compared", .required = true});
  v.Field("value", c.value,
          {.doc = "the operand: a regex for LIKE/UNLIKE, a count for MAX_PER and GROUP_BY, "
                  "a value for CLUSTER and IS",
           .any_scalar = true});
  v.Foreign("attribute", "field");
  v.Foreign("op", "operator");
}

// The mapping form of an environment variable; a plain value is the other.
template <typename V>
void Visit(V& v, EnvVar& e) {
  v.Field("value", e.value,
          {.doc = "the value", .mesos = "CommandInfo.environment", .any_scalar = true});
  v.Field("from_file", e.from_file,
          {.doc = "read the value from this file (relative to the spec) at launch"});
  v.Field("from_env", e.from_env,
          {.doc = "take the value from this variable of mesos-launch's environment",
           .pattern = kEnvNamePattern,
           .pattern_text = kEnvNameText});
  v.Field("secret", e.secret,
          {.doc = "never show the value; requires from_file or from_env", .def = "false"});
}

template <typename V>
void Visit(V& v, Artifact& a) {
  v.Field("uri", a.uri,
          {.doc = "what the Mesos fetcher downloads into the sandbox",
           .mesos = "CommandInfo.uris[].value",
           .required = true});
  v.Field("extract", a.extract,
          {.doc = "unpack the archive: true, false, or auto (by the path's extension, "
                  "ignoring any ?query)",
           .def = "auto",
           .mesos = "CommandInfo.uris[].extract"});
  v.Field("executable", a.executable,
          {.doc = "mark the downloaded file executable",
           .def = "false",
           .mesos = "CommandInfo.uris[].executable"});
  v.Field("cache", a.cache,
          {.doc = "let the agent's fetcher cache it",
           .def = "false",
           .mesos = "CommandInfo.uris[].cache"});
  v.Field("output_file", a.output_file,
          {.doc = "file name in the sandbox",
           .def = "the URI's last path segment",
           .mesos = "CommandInfo.uris[].output_file"});
  v.Field("checksum", a.checksum,
          {.doc = "\"sha256:<64 hex digits>\", verified by the executor before the "
                  "archive is extracted and the service starts",
           .pattern = kChecksumPattern,
           .pattern_text = kChecksumText});
  v.Foreign("source", "uri");
  v.Foreign("url", "uri");
  v.Foreign("destPath", "output_file");
  v.Foreign("destination", "output_file");
}

template <typename V>
void Visit(V& v, ExecutorResources& r) {
  v.Field("cpus", r.cpus,
          {.doc = "CPU shares for the executor itself",
           .def = "0.05",
           .mesos = "ExecutorInfo.resources: cpus",
           .min = 0.0,
           .min_exclusive = true,
           .max = 1024.0});
  v.Field("mem", r.mem,
          {.doc = "memory for the executor itself",
           .def = "32",
           .mesos = "ExecutorInfo.resources: mem",
           .min = 0.0,
           .min_exclusive = true,
           .max = 1024.0 * 1024 * 1024});
  v.Field("disk", r.disk,
          {.doc = "disk for the executor itself",
           .def = "0",
           .mesos = "ExecutorInfo.resources: disk",
           .min = 0.0,
           .max = 1024.0 * 1024 * 1024});
  v.Foreign("cpu", "cpus");
  v.Foreign("memory", "mem");
}

template <typename V>
void Visit(V& v, Executor& e) {
  v.Field("uri", e.uri,
          {.doc = "where agents fetch mesos-launch-executor from",
           .def = "served by mesos-launch (a named master); in place (embedded cluster)",
           .mesos = "ExecutorInfo.command.uris[]"});
  v.Field("checksum", e.checksum,
          {.doc = "\"sha256:<64 hex digits>\" of the executor binary, checked by the agent "
                  "before it runs",
           .pattern = kChecksumPattern,
           .pattern_text = kChecksumText});
  v.Field("command", e.command,
          {.doc = "how to start the executor",
           .def = "./<file name of uri>, or mesos-launch-executor",
           .mesos = "ExecutorInfo.command.value"});
  v.Field("resources", e.resources,
          {.doc = "resources of the executor, on top of the task's",
           .mesos = "ExecutorInfo.resources"});
}

// An image reference as Docker and OCI tools write it: [registry[:port]/]
// name[:tag][@sha256:digest], the name's parts in lower case.
inline constexpr std::string_view kImagePattern =
    "^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*"
    "[a-zA-Z0-9]))*(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)"
    "[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[0-9a-f]{64})?$";
inline constexpr std::string_view kImageText =
    "an image reference: [registry[:port]/]name[:tag][@sha256:<64 hex digits>], the name in "
    "lower case, e.g. redis:7 or registry.example.com/team/app:1.2";

template <typename V>
void Visit(V& v, Volume& m) {
  v.Field("container_path", m.container_path,
          {.doc = "where the volume appears inside the container (an absolute path)",
           .mesos = "Volume.container_path",
           .required = true});
  v.Field("host_path", m.host_path,
          {.doc = "an absolute path on the agent to mount (or give sandbox_path)",
           .mesos = "Volume.host_path"});
  v.Field("sandbox_path", m.sandbox_path,
          {.doc = "a path in the task's sandbox to mount (or give host_path)",
           .mesos = "Volume.source.sandbox_path (mesos) / Volume.host_path (docker)"});
  v.Field("mode", m.mode, {.doc = "read-write or read-only", .def = "rw", .mesos = "Volume.mode"});
  v.Foreign("containerPath", "container_path");
  v.Foreign("hostPath", "host_path");
  v.Foreign("mountPath", "container_path");
  v.Foreign("readOnly", "mode");
}

template <typename V>
void Visit(V& v, Container& c) {
  v.Field("image", c.image,
          {.doc = "the image the task and its executor run in",
           .mesos = "ContainerInfo.mesos.image.docker.name / ContainerInfo.docker.image",
           .required = true,
           .pattern = kImagePattern,
           .pattern_text = kImageText});
  v.Field("type", c.type,
          {.doc = "the agent's containerizer: Mesos' own, or Docker's",
           .def = "mesos",
           .mesos = "ContainerInfo.type"});
  v.Field("force_pull", c.force_pull,
          {.doc = "pull the image even when the agent has a copy",
           .def = "false",
           .mesos = "Image.cached (negated) / DockerInfo.force_pull_image"});
  v.Field("volumes", c.volumes,
          {.doc = "host or sandbox paths mounted into the container",
           .mesos = "ContainerInfo.volumes"});
  v.Field("network", c.network,
          {.doc = "the agent's network (host), Docker's bridge with the task's ports mapped, "
                  "or a CNI network (network_name)",
           .def = "host",
           .mesos = "DockerInfo.network / ContainerInfo.network_infos"});
  v.Field("network_name", c.network_name,
          {.doc = "with network: cni, the CNI network to join", .mesos = "NetworkInfo.name"});
  v.Foreign("docker", "image");
  v.Foreign("forcePullImage", "force_pull");
  v.Foreign("pull", "force_pull");
  v.Foreign("networks", "network");
}

template <typename V>
void Visit(V& v, Service& s) {
  v.Field("type", s.type, {.doc = "the built-in service", .def = "http"});
  v.Field("port", s.port,
          {.doc = "the name of the port to serve on", .def = "the task's first port"});
  v.Field("path", s.path, {.doc = "URL path of the payload", .def = "/"});
  v.Field("content_type", s.content_type,
          {.doc = "Content-Type of the payload or body_file",
           .def = "text/plain; charset=utf-8, or by file extension"});
  v.Field("payload", s.payload,
          {.doc = "the response body, written inline", .mesos = "TaskInfo.data"});
  v.Field("body_file", s.body_file,
          {.doc = "a local file (relative to the spec) whose bytes are the response body; "
                  "shipped inside the launch",
           .mesos = "TaskInfo.data"});
  v.Field("root", s.root,
          {.doc = "a directory in the sandbox (usually from an extracted artifact) served "
                  "as static files"});
  v.Foreign("body", "payload");
  v.Foreign("content", "payload");
  v.Foreign("file", "body_file");
  v.Foreign("dir", "root");
  v.Foreign("directory", "root");
}

template <typename V>
void Visit(V& v, HealthCheck& h) {
  v.Field("type", h.type, {.doc = "what to check", .def = "http", .mesos = "HealthCheck.type"});
  v.Field("port", h.port,
          {.doc = "the name of the port to check (http, tcp)",
           .def = "the service's port, or the first port",
           .mesos = "HealthCheck.http.port / HealthCheck.tcp.port"});
  v.Field("path", h.path,
          {.doc = "URL path for http checks; 2xx and 3xx are healthy",
           .def = "/health",
           .mesos = "HealthCheck.http.path"});
  v.Field("command", h.command,
          {.doc = "shell command for command checks; exit 0 is healthy",
           .mesos = "HealthCheck.command.value"});
  v.Field("interval", h.interval,
          {.doc = "time between checks", .def = "10s", .mesos = "HealthCheck.interval_seconds"});
  v.Field(
      "timeout", h.timeout,
      {.doc = "how long one check may take", .def = "5s", .mesos = "HealthCheck.timeout_seconds"});
  v.Field(
      "delay", h.delay,
      {.doc = "wait before the first check", .def = "0s", .mesos = "HealthCheck.delay_seconds"});
  v.Field("grace_period", h.grace_period,
          {.doc = "failures in this time after start do not count",
           .def = "30s",
           .mesos = "HealthCheck.grace_period_seconds"});
  v.Field("max_consecutive_failures", h.max_consecutive_failures,
          {.doc = "kill the task after this many failures in a row",
           .def = "3",
           .mesos = "HealthCheck.consecutive_failures",
           .min = 1.0,
           .max = 1000.0});
  v.Foreign("protocol", "type");
  v.Foreign("intervalSeconds", "interval");
  v.Foreign("timeoutSeconds", "timeout");
  v.Foreign("gracePeriodSeconds", "grace_period");
  v.Foreign("maxConsecutiveFailures", "max_consecutive_failures");
  v.Foreign("initialDelaySeconds", "delay");
  v.Foreign("periodSeconds", "interval");
  v.Foreign("failureThreshold", "max_consecutive_failures");
}

template <typename V>
void Visit(V& v, Backoff& b) {
  v.Field("initial", b.initial, {.doc = "delay before the first restart", .def = "1s"});
  v.Field("factor", b.factor,
          {.doc = "each further delay is the previous one times this",
           .def = "2.0",
           .min = 1.0,
           .max = 100.0});
  v.Field("max", b.max, {.doc = "the longest delay", .def = "1m"});
}

template <typename V>
void Visit(V& v, Restart& r) {
  v.Field("policy", r.policy,
          {.doc = "when an ended instance is started again",
           .def = "always for services, on-failure for commands"});
  v.Field("max_attempts", r.max_attempts,
          {.doc = "give up (exit 4) after this many restarts within `window`; 0: never",
           .def = "10",
           .min = 0.0,
           .max = 1e9});
  v.Field("window", r.window, {.doc = "the span max_attempts is counted over", .def = "30m"});
  v.Field("backoff", r.backoff, {.doc = "delays between restarts"});
  v.Field("reset_after", r.reset_after,
          {.doc = "after running healthy this long, the backoff starts over", .def = "10m"});
  v.Foreign("attempts", "max_attempts");
  v.Foreign("delay", "backoff");
  v.Foreign("interval", "window");
  v.Foreign("mode", "policy");
}

template <typename V>
void Visit(V& v, Discovery& d) {
  v.Field("name", d.name,
          {.doc = "service name for discovery",
           .def = "the task's name",
           .mesos = "DiscoveryInfo.name"});
  v.Field("visibility", d.visibility,
          {.doc = "who may discover it", .def = "cluster", .mesos = "DiscoveryInfo.visibility"});
}

// The mapping form of a dependency; a plain task name is the other.
template <typename V>
void Visit(V& v, Dependency& d) {
  v.Field("task", d.task, {.doc = "the task waited for", .required = true});
  v.Field("condition", d.condition, {.doc = "what it must reach first", .def = "started"});
}

template <typename V>
void Visit(V& v, Task& t) {
  v.Field("name", t.name,
          {.doc = "the task's name; task ids are <name>.<instance>.<uuid>",
           .mesos = "TaskInfo.name",
           .required = true,
           .pattern = kNamePattern,
           .pattern_text = kNameText});
  v.Field("instances", t.instances,
          {.doc = "how many copies run", .def = "1", .min = 0.0, .max = 10000.0});
  v.Field("resources", t.resources,
          {.doc = "resources of one instance", .mesos = "TaskInfo.resources"});
  v.Field("ports", t.ports, {.doc = "named ports; PORT0.., PORT_<NAME> in the environment"});
  v.Field("constraints", t.constraints,
          {.doc = "placement rules, as in Marathon: [field, OPERATOR, value]"});
  v.Field("accepted_roles", t.accepted_roles,
          {.doc = "take resources only of these roles", .def = "any of framework.roles"});
  v.Field("user", t.user,
          {.doc = "Unix user of this task", .def = "framework.user", .mesos = "CommandInfo.user"});
  v.Field("env", t.env,
          {.doc = "environment variables: NAME: value, or NAME: {from_file|from_env, secret}",
           .mesos = "CommandInfo.environment"});
  v.Field("artifacts", t.artifacts,
          {.doc = "files the fetcher puts in the sandbox", .mesos = "CommandInfo.uris"});
  v.Field("executor", t.executor,
          {.doc = "the executor the task runs under", .mesos = "TaskInfo.executor"});
  v.Field("container", t.container,
          {.doc = "run the task in a container image",
           .def = "the agent's own filesystem",
           .mesos = "ExecutorInfo.container"});
  v.Field("service", t.service,
          {.doc = "a built-in HTTP service (instead of command/args)", .mesos = "TaskInfo.data"});
  v.Field("command", t.command,
          {.doc = "a shell command to run and supervise (instead of service)",
           .mesos = "CommandInfo.value (shell)"});
  v.Field("args", t.args,
          {.doc = "a program and its arguments, run without a shell",
           .mesos = "CommandInfo.arguments"});
  v.Field(
      "health_check", t.health_check,
      {.doc = "how the executor decides the task is healthy", .mesos = "TaskInfo.health_check"});
  v.Field("restart", t.restart, {.doc = "what happens when an instance ends"});
  v.Field("kill_grace_period", t.kill_grace_period,
          {.doc = "time between the stop signal and SIGKILL",
           .def = "10s",
           .mesos = "TaskInfo.kill_policy.grace_period"});
  v.Field("kill_signal", t.kill_signal,
          {.doc = "the stop signal",
           .def = "SIGTERM",
           .pattern = "^SIG(TERM|INT|QUIT|HUP|USR1|USR2)$",
           .pattern_text = "one of SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 and SIGUSR2"});
  v.Field("staging_timeout", t.staging_timeout,
          {.doc = "kill and restart an instance not running after this long", .def = "5m"});
  v.Field("labels", t.labels, {.doc = "free-form key/value pairs", .mesos = "TaskInfo.labels"});
  v.Field("discovery", t.discovery,
          {.doc = "service-discovery information",
           .def = "framework visibility, when the task has ports",
           .mesos = "TaskInfo.discovery"});
  v.Field("depends_on", t.depends_on,
          {.doc = "tasks that must be started, healthy or completed first"});
  v.Foreign("count", "instances");
  v.Foreign("replicas", "instances");
  v.Foreign("id", "name");
  v.Foreign("cpu", "resources.cpus");
  v.Foreign("cpus", "resources.cpus");
  v.Foreign("mem", "resources.mem");
  v.Foreign("memory", "resources.mem");
  v.Foreign("disk", "resources.disk");
  v.Foreign("gpus", "resources.gpus");
  v.Foreign("cmd", "command");
  v.Foreign("portDefinitions", "ports");
  v.Foreign("fetch", "artifacts");
  v.Foreign("uris", "artifacts");
  v.Foreign("artifact", "artifacts");
  v.Foreign("healthChecks", "health_check");
  v.Foreign("healthcheck", "health_check");
  v.Foreign("livenessProbe", "health_check");
  v.Foreign("check", "health_check");
  v.Foreign("taskKillGracePeriodSeconds", "kill_grace_period");
  v.Foreign("kill_timeout", "kill_grace_period");
  v.Foreign("terminationGracePeriodSeconds", "kill_grace_period");
  v.Foreign("restartPolicy", "restart");
  v.Foreign("backoffSeconds", "restart");
  v.Foreign("dependencies", "depends_on");
  v.Foreign("environment", "env");
  v.Foreign("meta", "labels");
  v.Foreign("acceptedResourceRoles", "accepted_roles");
}

template <typename V>
void Visit(V& v, TaskDefaults& d) {
  Visit(v, d.task);
}

template <typename V>
void Visit(V& v, Spec& s, TaskDefaults& defaults) {
  v.Field("version", s.version,
          {.doc = "the spec language's version", .required = true, .min = 1.0, .max = 1.0});
  v.Field("master", s.master,
          {.doc = "host:port, http(s)://host:port, a comma list of those, or "
                  "zk://host:port,.../path; --master and MESOS_MASTER override",
           .def = "the embedded cluster"});
  v.Field("tls", s.tls, {.doc = "TLS settings for an https:// master"});
  v.Field("framework", s.framework,
          {.doc = "how mesos-launch registers with Mesos", .mesos = "FrameworkInfo"});
  v.Field("timeouts", s.timeouts, {.doc = "limits on the whole run"});
  v.Field("defaults", defaults, {.doc = "task keys given to every task that does not set them"});
  v.Field("tasks", s.tasks, {.doc = "what to run", .required = true});
  v.Foreign("apps", "tasks");
  v.Foreign("jobs", "tasks");
  v.Foreign("task", "tasks");
  v.Foreign("apiVersion", "version");
}

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_FIELDS_H_

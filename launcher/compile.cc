#include "launcher/compile.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "launcher/offer_match.h"

namespace mlaunch {
namespace {

namespace v1 = mesos::v1;

void AddScalar(google::protobuf::RepeatedPtrField<v1::Resource>* resources, const std::string& name,
               double value) {
  if (value <= 0) return;
  v1::Resource* r = resources->Add();
  r->set_name(name);
  r->set_type(v1::Value::SCALAR);
  // Mesos keeps scalars to three decimals; so do we, so totals add up.
  r->mutable_scalar()->set_value(std::round(value * 1000.0) / 1000.0);
}

void SetLabels(const spec::Labels& labels, v1::Labels* out) {
  for (const auto& [key, value] : labels) {
    v1::Label* label = out->add_labels();
    label->set_key(key);
    label->set_value(value);
  }
}

int64_t Nanos(spec::Duration d) { return d.ms * 1000 * 1000; }

std::string UriPath(const std::string& uri) {
  std::string path = uri.substr(0, uri.find_first_of("?#"));
  return path;
}

std::string Basename(const std::string& uri) {
  std::string path = UriPath(uri);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path.substr(path.find_last_of('/') + 1);
}

// What the Mesos fetcher would unpack, judged by the path alone.
bool LooksLikeArchive(const std::string& uri) {
  static constexpr std::array<std::string_view, 9> kExtensions{
      ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip", ".gz"};
  std::string path = UriPath(uri);
  return std::any_of(kExtensions.begin(), kExtensions.end(), [&](std::string_view ext) {
    return path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
  });
}

std::string Upper(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

void AddVariable(v1::Environment* env, const std::string& name, const std::string& value) {
  v1::Environment::Variable* v = env->add_variables();
  v->set_name(name);
  v->set_value(value);
}

void CompileEnvironment(const spec::Task& task, const Inputs& inputs, v1::Environment* env) {
  for (const auto& [name, var] : task.env) {
    if (var.secret) {
      // Mesos keeps VALUE secrets out of its logs; the bytes are filled in
      // at launch, so a Plan never holds them.
      v1::Environment::Variable* v = env->add_variables();
      v->set_name(name);
      v->set_type(v1::Environment::Variable::SECRET);
      v->mutable_secret()->set_type(v1::Secret::VALUE);
      v->mutable_secret()->mutable_value()->set_data(SecretPlaceholder(name));
      continue;
    }
    std::string value = var.value;
    if (!var.from_file.empty()) {
      auto it = inputs.files.find(var.from_file);
      if (it != inputs.files.end()) value = it->second;
    } else if (!var.from_env.empty()) {
      auto it = inputs.variables.find(var.from_env);
      if (it != inputs.variables.end()) value = it->second;
    }
    AddVariable(env, name, value);
  }

  // Marathon's names first, then ours (docs/spec.md, "Environment").
  std::string all_ports;
  for (size_t i = 0; i < task.ports.size(); ++i) {
    std::string number = "${ports." + task.ports[i].name + "}";
    AddVariable(env, "PORT" + std::to_string(i), number);
    AddVariable(env, "PORT_" + Upper(task.ports[i].name), number);
    AddVariable(env, "MESOS_LAUNCH_ADDR_" + Upper(task.ports[i].name), "${host}:" + number);
    all_ports += (all_ports.empty() ? "" : ",") + number;
  }
  if (!task.ports.empty()) {
    AddVariable(env, "PORT", "${ports." + task.ports[0].name + "}");
    AddVariable(env, "PORTS", all_ports);
  }
  AddVariable(env, "HOST", "${host}");
  AddVariable(env, "MESOS_TASK_ID", "${task_id}");
  AddVariable(env, "MESOS_LAUNCH_TASK_NAME", task.name);
  AddVariable(env, "MESOS_LAUNCH_INSTANCE", "${instance}");
  AddVariable(env, "MESOS_LAUNCH_FRAMEWORK_ID", "${framework_id}");
}

// Single-quoted for the shell: the quote itself is closed, escaped and
// reopened.
std::string ShellQuoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

void CompileExecutor(const spec::Task& task, const Inputs& inputs, const std::string& user,
                     const ExecutorDelivery& delivery, TaskPlan& plan) {
  v1::ExecutorInfo* executor = plan.task_info.mutable_executor();
  executor->mutable_executor_id()->set_value("${task_id}");
  executor->set_type(v1::ExecutorInfo::CUSTOM);
  executor->set_name("mesos-launch-executor for " + task.name);
  v1::CommandInfo* command = executor->mutable_command();
  if (!user.empty()) command->set_user(user);

  // The spec's own executor wins over the run's default.
  std::string executor_uri = task.executor.uri;
  std::string sha256 =
      task.executor.checksum.empty() ? "" : task.executor.checksum.substr(7);  // "sha256:"
  double binary_mb = 0;
  bool cache = false;
  if (executor_uri.empty() && (delivery.source == ExecutorDelivery::Source::kUri ||
                               delivery.source == ExecutorDelivery::Source::kServed)) {
    executor_uri = delivery.uri;
    sha256 = delivery.sha256;
    // Content-addressed: the agents' fetch caches may keep it for good.
    cache = delivery.source == ExecutorDelivery::Source::kServed;
    binary_mb = std::ceil(static_cast<double>(delivery.bytes) / (1024.0 * 1024.0));
  }
  std::string program = task.executor.command;
  std::string fetched;  // the executor's file in the sandbox
  if (!executor_uri.empty()) {
    v1::CommandInfo::URI* uri = command->add_uris();
    uri->set_value(executor_uri);
    uri->set_executable(true);
    uri->set_extract(false);
    uri->set_cache(cache);
    fetched = Basename(executor_uri);
    // The fetcher would keep a query string in the file's name.
    if (executor_uri.find_first_of("?#") != std::string::npos) uri->set_output_file(fetched);
    if (program.empty()) program = "./" + fetched;
  }
  if (program.empty()) {
    program = delivery.source == ExecutorDelivery::Source::kInPlace ? delivery.path
                                                                    : "mesos-launch-executor";
  }
  if (!fetched.empty() && !sha256.empty()) {
    // Checked by the agent before anything fetched runs.
    command->set_shell(true);
    command->set_value(VerifyThenExec(fetched, sha256, program));
    plan.executor_sha256 = sha256;
  } else {
    command->set_shell(false);
    command->set_value(program);
    command->add_arguments(program);
  }

  for (const spec::Artifact& a : task.artifacts) {
    v1::CommandInfo::URI* uri = command->add_uris();
    uri->set_value(a.uri);
    uri->set_executable(a.executable);
    const bool extract = a.extract == spec::Extract::kYes ||
                         (a.extract == spec::Extract::kAuto && LooksLikeArchive(a.uri));
    // A checksummed archive reaches the sandbox whole, even from the fetch
    // cache: the executor checks it, then extracts it.
    uri->set_extract(extract && a.checksum.empty());
    uri->set_cache(a.cache);
    std::string file = a.output_file;
    // A query string would otherwise end up in the file's name.
    if (file.empty() && a.uri.find_first_of("?#") != std::string::npos) file = Basename(a.uri);
    if (!file.empty()) uri->set_output_file(file);
    if (!a.checksum.empty()) {
      ServiceConfig::Checksum* c = plan.service.add_checksums();
      c->set_uri(a.uri);
      c->set_file(file.empty() ? Basename(a.uri) : file);
      c->set_sha256(a.checksum.substr(7));
      c->set_extract(extract);
    }
  }
  CompileEnvironment(task, inputs, command->mutable_environment());

  AddScalar(executor->mutable_resources(), "cpus", task.executor.resources.cpus);
  AddScalar(executor->mutable_resources(), "mem", task.executor.resources.mem.value);
  // The sandbox holds the fetched binary besides what the spec asks for.
  plan.match.executor.disk = task.executor.resources.disk.value + binary_mb;
  AddScalar(executor->mutable_resources(), "disk", plan.match.executor.disk);
  executor->mutable_shutdown_grace_period()->set_nanoseconds(Nanos(task.kill_grace_period) +
                                                             Nanos(spec::Seconds(5)));
}

// The image the executor (and so the task) runs in, in the ExecutorInfo:
// Mesos' containerizer with a Docker image, or the Docker containerizer.
void CompileContainer(const spec::Task& task, TaskPlan& plan) {
  if (!task.container) return;
  const spec::Container& c = *task.container;
  const bool mesos = c.type == spec::ContainerType::kMesos;
  v1::ContainerInfo* info = plan.task_info.mutable_executor()->mutable_container();
  v1::ContainerInfo::DockerInfo* docker = nullptr;
  if (mesos) {
    info->set_type(v1::ContainerInfo::MESOS);
    v1::Image* image = info->mutable_mesos()->mutable_image();
    image->set_type(v1::Image::DOCKER);
    image->mutable_docker()->set_name(c.image);
    if (c.force_pull) image->set_cached(false);
  } else {
    info->set_type(v1::ContainerInfo::DOCKER);
    docker = info->mutable_docker();
    docker->set_image(c.image);
    docker->set_network(c.network == spec::ContainerNetwork::kBridge
                            ? v1::ContainerInfo::DockerInfo::BRIDGE
                            : v1::ContainerInfo::DockerInfo::HOST);
    if (c.force_pull) docker->set_force_pull_image(true);
  }
  for (const spec::Volume& in : c.volumes) {
    v1::Volume* v = info->add_volumes();
    v->set_container_path(in.container_path);
    v->set_mode(in.mode == spec::VolumeMode::kRo ? v1::Volume::RO : v1::Volume::RW);
    if (!in.host_path.empty() || !mesos) {
      // The Docker containerizer reads a relative host_path in the sandbox.
      v->set_host_path(in.host_path.empty() ? in.sandbox_path : in.host_path);
    } else {
      v1::Volume::Source* source = v->mutable_source();
      source->set_type(v1::Volume::Source::SANDBOX_PATH);
      source->mutable_sandbox_path()->set_type(v1::Volume::Source::SandboxPath::SELF);
      source->mutable_sandbox_path()->set_path(in.sandbox_path);
    }
  }
  v1::NetworkInfo* cni = nullptr;
  if (c.network == spec::ContainerNetwork::kCni) {
    cni = info->add_network_infos();
    cni->set_name(c.network_name);
  }
  if (c.network == spec::ContainerNetwork::kHost) return;
  for (const spec::Port& p : task.ports) {
    const uint32_t inside = p.container_port ? static_cast<uint32_t>(*p.container_port) : 0;
    plan.port_maps.push_back({p.name, inside});
    const std::string protocol(spec::Name(p.protocol));
    if (docker) {
      auto* m = docker->add_port_mappings();
      m->set_host_port(0);
      m->set_container_port(inside);
      m->set_protocol(protocol);
    } else {
      auto* m = cni->add_port_mappings();
      m->set_host_port(0);
      m->set_container_port(inside);
      m->set_protocol(protocol);
    }
  }
}

void CompileService(const spec::Task& task, const Inputs& inputs, TaskPlan& plan) {
  ServiceConfig& s = plan.service;
  s.set_task_name(task.name);
  s.set_kill_signal(task.kill_signal);
  for (const spec::Port& p : task.ports) {
    ServiceConfig::Port* port = s.add_ports();
    port->set_name(p.name);
    port->set_number(p.static_port ? static_cast<uint32_t>(*p.static_port) : 0);
  }
  if (task.service) {
    const spec::Service& in = *task.service;
    ServiceConfig::Http* http = s.mutable_http();
    http->set_port_name(in.port.empty() ? task.ports.front().name : in.port);
    http->set_path(in.path);
    if (in.payload) {
      http->set_body(*in.payload);
    } else if (!in.body_file.empty()) {
      auto it = inputs.files.find(in.body_file);
      if (it != inputs.files.end()) http->set_body(it->second);
    }
    if (!in.root.empty()) http->set_root(in.root);
    if (!in.content_type.empty()) {
      http->set_content_type(in.content_type);
    } else if (in.payload) {
      http->set_content_type("text/plain; charset=utf-8");
    }
  } else if (!task.command.empty()) {
    s.mutable_command()->set_shell(task.command);
  } else {
    for (const std::string& arg : task.args) s.mutable_command()->add_args(arg);
  }
}

void CompileHealthCheck(const spec::Task& task, TaskPlan& plan) {
  if (!task.health_check) return;
  const spec::HealthCheck& h = *task.health_check;
  v1::HealthCheck* out = plan.task_info.mutable_health_check();
  out->set_delay_seconds(h.delay.seconds());
  out->set_interval_seconds(h.interval.seconds());
  out->set_timeout_seconds(h.timeout.seconds());
  out->set_consecutive_failures(static_cast<uint32_t>(h.max_consecutive_failures));
  out->set_grace_period_seconds(h.grace_period.seconds());
  std::string port = h.port;
  if (port.empty() && !task.ports.empty()) {
    port = task.service && !task.service->port.empty() ? task.service->port : task.ports[0].name;
  }
  switch (h.type) {
    case spec::HealthType::kHttp:
      out->set_type(v1::HealthCheck::HTTP);
      out->mutable_http()->set_port(0);
      out->mutable_http()->set_path(h.path);
      out->mutable_http()->set_scheme("http");
      plan.health_port = port;
      break;
    case spec::HealthType::kTcp:
      out->set_type(v1::HealthCheck::TCP);
      out->mutable_tcp()->set_port(0);
      plan.health_port = port;
      break;
    case spec::HealthType::kCommand:
      out->set_type(v1::HealthCheck::COMMAND);
      out->mutable_command()->set_value(h.command);
      out->mutable_command()->set_shell(true);
      break;
  }
}

v1::DiscoveryInfo::Visibility ToMesos(spec::Visibility v) {
  switch (v) {
    case spec::Visibility::kFramework:
      return v1::DiscoveryInfo::FRAMEWORK;
    case spec::Visibility::kCluster:
      return v1::DiscoveryInfo::CLUSTER;
    case spec::Visibility::kExternal:
      return v1::DiscoveryInfo::EXTERNAL;
  }
  return v1::DiscoveryInfo::FRAMEWORK;
}

TaskPlan CompileTask(const spec::Spec& spec, const spec::Task& task, const Inputs& inputs,
                     const std::string& framework_user, const CompileOptions& options) {
  TaskPlan plan;
  plan.name = task.name;
  plan.instances = task.instances;
  plan.spec = task;

  MatchRule& m = plan.match;
  m.task = {task.resources.cpus, task.resources.mem.value, task.resources.disk.value,
            static_cast<double>(task.resources.gpus)};
  m.executor = {task.executor.resources.cpus, task.executor.resources.mem.value,
                task.executor.resources.disk.value, 0};
  for (const spec::Port& p : task.ports) {
    PortAsk ask{p.name, std::nullopt};
    if (p.static_port) ask.static_port = static_cast<uint32_t>(*p.static_port);
    m.ports.push_back(ask);
  }
  for (const spec::Constraint& c : task.constraints) m.constraints.push_back(ForMatching(c));
  m.roles = task.accepted_roles.empty() ? spec.framework.roles : task.accepted_roles;

  v1::TaskInfo& info = plan.task_info;
  info.set_name(task.name);
  AddScalar(info.mutable_resources(), "cpus", m.task.cpus);
  AddScalar(info.mutable_resources(), "mem", m.task.mem);
  AddScalar(info.mutable_resources(), "disk", m.task.disk);
  AddScalar(info.mutable_resources(), "gpus", m.task.gpus);
  info.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
      Nanos(task.kill_grace_period));
  if (!task.labels.empty()) SetLabels(task.labels, info.mutable_labels());
  // Ports are published even without `discovery:` (at framework visibility),
  // so their names, protocols and labels always reach Mesos.
  if (task.discovery || !task.ports.empty()) {
    v1::DiscoveryInfo* d = info.mutable_discovery();
    d->set_visibility(task.discovery ? ToMesos(task.discovery->visibility)
                                     : v1::DiscoveryInfo::FRAMEWORK);
    bool named = task.discovery && !task.discovery->name.empty();
    d->set_name(named ? task.discovery->name : task.name);
    for (const spec::Port& p : task.ports) {
      v1::Port* port = d->mutable_ports()->add_ports();
      port->set_number(p.static_port ? static_cast<uint32_t>(*p.static_port) : 0);
      port->set_name(p.name);
      port->set_protocol(std::string(spec::Name(p.protocol)));
      if (!p.labels.empty()) SetLabels(p.labels, port->mutable_labels());
    }
  }
  CompileService(task, inputs, plan);
  CompileExecutor(task, inputs, task.user.empty() ? framework_user : task.user, options.executor,
                  plan);
  CompileHealthCheck(task, plan);
  CompileContainer(task, plan);
  return plan;
}

}  // namespace

std::string Describe(const ExecutorDelivery& delivery) {
  switch (delivery.source) {
    case ExecutorDelivery::Source::kAgentPath:
      return "mesos-launch-executor from each agent's PATH";
    case ExecutorDelivery::Source::kInPlace:
      return delivery.path + ", run in place by the embedded cluster";
    case ExecutorDelivery::Source::kUri:
      return "fetched from " + delivery.uri +
             (delivery.sha256.empty() ? " (not verified)" : ", verified by sha256");
    case ExecutorDelivery::Source::kServed:
      return "served by mesos-launch at " + delivery.uri + ", verified by sha256";
  }
  return "";
}

std::string VerifyThenExec(const std::string& file, const std::string& sha256,
                           const std::string& program) {
  // sha256sum prints "DIGEST  NAME" (with a leading backslash when NAME
  // holds one). Only coreutils' sha256sum and a POSIX shell are assumed;
  // "./" keeps a name that starts with '-' from reading as an option.
  const std::string exit = "exit " + std::to_string(kExecutorChecksumExit);
  return "if ! command -v sha256sum >/dev/null 2>&1; then echo \"executor checksum cannot be "
         "checked: " +
         std::string(kNoSha256sum) + "\" >&2; " + exit +
         "; fi; "
         "mlaunch_want=" +
         sha256 + "; mlaunch_got=$(sha256sum " + ShellQuoted("./" + file) +
         " 2>/dev/null); mlaunch_got=${mlaunch_got%% *}; mlaunch_got=${mlaunch_got#\\\\}; "
         "if [ \"$mlaunch_got\" != \"$mlaunch_want\" ]; then "
         "echo \"executor checksum mismatch (expected $mlaunch_want, got "
         "${mlaunch_got:-no readable file})\" >&2; " +
         exit +
         "; fi; "
         "unset mlaunch_want mlaunch_got; exec " +
         ShellQuoted(program);
}

std::string SecretPlaceholder(const std::string& variable) { return "${secret." + variable + "}"; }

Plan Compile(const spec::Spec& spec, const Inputs& inputs, const CompileOptions& options) {
  Plan plan;
  plan.placement_timeout = spec.timeouts.placement;
  plan.executor_source = Describe(options.executor);
  v1::FrameworkInfo& f = plan.framework;
  const spec::Framework& in = spec.framework;
  f.set_user(in.user.empty() ? options.default_user : in.user);
  f.set_name(in.name);
  f.set_failover_timeout(in.failover_timeout.seconds());
  f.set_checkpoint(in.checkpoint);
  for (const std::string& role : in.roles) f.add_roles(role);
  if (!in.principal.empty()) f.set_principal(in.principal);
  if (!in.hostname.empty()) f.set_hostname(in.hostname);
  if (!in.webui_url.empty()) f.set_webui_url(in.webui_url);
  if (!in.labels.empty()) SetLabels(in.labels, f.mutable_labels());
  f.add_capabilities()->set_type(v1::FrameworkInfo::Capability::MULTI_ROLE);
  f.add_capabilities()->set_type(v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
  bool gpus = std::any_of(spec.tasks.begin(), spec.tasks.end(),
                          [](const spec::Task& t) { return t.resources.gpus > 0; });
  if (gpus) f.add_capabilities()->set_type(v1::FrameworkInfo::Capability::GPU_RESOURCES);

  for (const spec::Task& task : spec.tasks) {
    plan.tasks.push_back(CompileTask(spec, task, inputs, f.user(), options));
  }
  return plan;
}

}  // namespace mlaunch

#include "launcher/spec/validate.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "launcher/spec/interpolate.h"

namespace mlaunch::spec {

namespace {

template <typename T>
std::vector<std::string> ItemPaths(const std::string& list, const std::vector<T>& items) {
  std::vector<std::string> names;
  for (const T& item : items) names.push_back(item.name);
  std::vector<std::string> paths = ItemLabels(names);
  for (std::string& p : paths) p = list + "[" + p + "]";
  return paths;
}

}  // namespace

std::vector<std::string> TaskPaths(const Spec& spec) { return ItemPaths("tasks", spec.tasks); }

namespace {

class Checker {
 public:
  Checker(const Spec& spec, Diagnostics& diagnostics)
      : spec_(spec), diagnostics_(diagnostics), task_paths_(TaskPaths(spec)) {}

  void Error(const std::string& path, std::string message, std::string hint = {}) {
    diagnostics_.Error(spec_.where.Find(path), path, std::move(message), std::move(hint));
  }
  void Warning(const std::string& path, std::string message, std::string hint = {}) {
    diagnostics_.Warning(spec_.where.Find(path), path, std::move(message), std::move(hint));
  }
  int Line(const std::string& path) const { return spec_.where.Find(path).line; }

  void Run();

 private:
  void CheckTask(const Task& task, const std::string& at);
  void CheckRestartLimit(const Task& task, const std::string& at);
  void CheckPorts(const Task& task, const std::string& at);
  void CheckRunnable(const Task& task, const std::string& at);
  void CheckHealth(const Task& task, const std::string& at);
  void CheckContainer(const Task& task, const std::string& at);
  void CheckConstraints(const Task& task, const std::string& at);
  void CheckEnv(const Task& task, const std::string& at);
  void CheckPlaceholders(const Task& task, const std::string& at);
  void CheckText(const Task& task, const std::string& path, const std::string& text);
  void CheckDependencies();
  bool HasPort(const Task& task, const std::string& name) const {
    return std::any_of(task.ports.begin(), task.ports.end(),
                       [&](const Port& p) { return p.name == name; });
  }
  const Task* FindTask(const std::string& name) const {
    for (const Task& t : spec_.tasks) {
      if (t.name == name) return &t;
    }
    return nullptr;
  }

  const Spec& spec_;
  Diagnostics& diagnostics_;
  std::vector<std::string> task_paths_;
};

std::string PortNames(const Task& task) {
  std::string out;
  for (const Port& p : task.ports) out += (out.empty() ? "" : ", ") + p.name;
  return out.empty() ? "none" : out;
}

void Checker::Run() {
  // After a reading error, checks of what could not be read only add noise.
  if (spec_.tasks.empty() && diagnostics_.ok()) {
    Error("tasks", "must list at least one task", "e.g. tasks: [{name: web, command: ...}]");
  }
  std::map<std::string, std::string> first;
  for (size_t i = 0; i < spec_.tasks.size(); ++i) {
    const Task& task = spec_.tasks[i];
    const std::string& at = task_paths_[i];
    if (!task.name.empty()) {
      auto [seen, fresh] = first.emplace(task.name, at);
      if (!fresh) {
        Error(at + ".name",
              "task name '" + task.name + "' is used twice (first at line " +
                  std::to_string(Line(seen->second)) + ")",
              "task names must be unique");
        continue;
      }
    }
    CheckTask(task, at);
  }
  CheckDependencies();
  if (spec_.framework.user == "root") {
    Warning("framework.user", "tasks will run as root", "use an unprivileged user");
  }
  if (spec_.tls.insecure) {
    Warning("tls.insecure", "TLS certificates of the master will not be verified");
  }
}

void Checker::CheckTask(const Task& task, const std::string& at) {
  bool read_cleanly = !diagnostics_.HasErrorUnder(at);
  CheckPorts(task, at);
  if (read_cleanly) {
    CheckRunnable(task, at);
    CheckHealth(task, at);
  }
  CheckContainer(task, at);
  CheckConstraints(task, at);
  CheckEnv(task, at);
  CheckPlaceholders(task, at);

  for (size_t i = 0; i < task.accepted_roles.size(); ++i) {
    const std::string& role = task.accepted_roles[i];
    const auto& roles = spec_.framework.roles;
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
      Error(at + ".accepted_roles[" + std::to_string(i) + "]",
            "role '" + role + "' is not one of framework.roles", "add it to framework.roles");
    }
  }
  if (task.user == "root") {
    Warning(at + ".user", "the task will run as root", "use an unprivileged user");
  }
  // Mesos keeps scalar resources to three decimals; less would become 0.
  for (auto [name, value] : {std::pair<const char*, double>{"cpus", task.resources.cpus},
                             {"mem", task.resources.mem.value},
                             {"disk", task.resources.disk.value}}) {
    if (value > 0 && value < 0.001) {
      Error(at + ".resources." + name, "is below Mesos' resolution of 0.001 and would be 0");
    }
  }
  if (task.restart.backoff.initial > task.restart.backoff.max) {
    Error(at + ".restart.backoff.initial",
          "must not be longer than backoff.max (" + FormatDuration(task.restart.backoff.max) + ")");
  }
  if (task.executor.uri.empty() && !task.executor.checksum.empty()) {
    Error(at + ".executor.checksum", "a checksum needs an executor uri to check");
  }
  CheckRestartLimit(task, at);
}

void Checker::CheckRestartLimit(const Task& task, const std::string& at) {
  const Restart& r = task.restart;
  if (r.max_attempts <= 0 || r.backoff.initial > r.backoff.max) return;
  // An instance that fails at once is restarted after each delay in turn;
  // it gives up only when max_attempts restarts fit in one window.
  const double window = static_cast<double>(r.window.ms);
  const double cap = static_cast<double>(r.backoff.max.ms);
  double total_ms = 0;
  double delay = std::min(static_cast<double>(r.backoff.initial.ms), cap);
  int64_t n = 0;
  // Growing delays one by one (a few dozen at most: they double or so),
  // then the rest at once: each is `delay` from there on (max_attempts
  // may be a billion).
  for (; n < r.max_attempts && total_ms < window && delay < cap && n < 1000; ++n) {
    total_ms += delay;
    const double next = std::min(delay * r.backoff.factor, cap);
    if (next == delay) break;  // a factor of 1, or a delay of 0
    delay = next;
  }
  if (total_ms < window) total_ms += static_cast<double>(r.max_attempts - n) * delay;
  if (total_ms < static_cast<double>(r.window.ms)) return;
  Warning(at + ".restart.max_attempts",
          "can never be reached: " + std::to_string(r.max_attempts) +
              " restarts at the "
              "backoff's pace take longer than window (" +
              FormatDuration(r.window) + "), so an instance that always fails is restarted forever",
          "lengthen restart.window, shorten restart.backoff.max, or lower max_attempts");
}

void Checker::CheckPorts(const Task& task, const std::string& at) {
  std::map<std::string, std::string> names;  // name -> path of its first port
  std::map<int64_t, std::string> statics;
  std::vector<std::string> paths = ItemPaths(at + ".ports", task.ports);
  for (size_t i = 0; i < task.ports.size(); ++i) {
    const Port& port = task.ports[i];
    const std::string& path = paths[i];
    if (port.name.empty()) continue;
    if (auto [first, fresh] = names.emplace(port.name, path); !fresh) {
      Error(path + ".name", "port name '" + port.name +
                                "' is used twice in this task (first at line " +
                                std::to_string(Line(first->second)) + ")");
      continue;
    }
    if (port.static_port) {
      auto [seen, fresh] = statics.emplace(*port.static_port, port.name);
      if (!fresh) {
        Error(path + ".static", "port " + std::to_string(*port.static_port) +
                                    " is also asked for by port '" + seen->second + "'");
      }
    }
  }
  if (task.instances > 1 && !statics.empty()) {
    bool spread =
        std::any_of(task.constraints.begin(), task.constraints.end(), [](const Constraint& c) {
          return c.field == "hostname" && (c.op == ConstraintOp::kUnique ||
                                           (c.op == ConstraintOp::kMaxPer && c.value == "1"));
        });
    if (!spread) {
      Warning(at + ".instances",
              std::to_string(task.instances) + " instances with static port " +
                  std::to_string(statics.begin()->first) +
                  " but no [hostname, UNIQUE] constraint; instances on the same agent will "
                  "fail to bind",
              "add constraints: [[hostname, UNIQUE]]");
    }
  }
}

void Checker::CheckRunnable(const Task& task, const std::string& at) {
  int ways = (task.service ? 1 : 0) + (task.command.empty() ? 0 : 1) + (task.args.empty() ? 0 : 1);
  if (ways == 0) {
    Error(at, "nothing to run", "add service: (a built-in HTTP server) or command: / args:");
    return;
  }
  if (ways > 1) {
    std::string second = !task.args.empty() ? "args" : "command";
    Error(at + "." + second, "a task runs one thing: give one of service, command and args");
  }
  if (!task.service) return;
  const Service& s = *task.service;
  std::string sp = at + ".service";
  int bodies = (s.payload ? 1 : 0) + (s.body_file.empty() ? 0 : 1) + (s.root.empty() ? 0 : 1);
  if (bodies == 0) {
    Error(sp, "says nothing to serve", "give exactly one of payload, body_file and root");
  } else if (bodies > 1) {
    std::string second = s.root.empty() ? "body_file" : "root";
    Error(sp + "." + second, "gives more than one thing to serve",
          "give exactly one of payload, body_file and root");
  }
  if (s.path.empty() || s.path.front() != '/') {
    Error(sp + ".path", "must start with '/' (got '" + s.path + "')");
  }
  if (task.ports.empty()) {
    Error(sp, "an HTTP service needs a port", "add ports: [{name: http}]");
  } else if (!s.port.empty() && !HasPort(task, s.port)) {
    Error(sp + ".port",
          "'" + s.port + "' is not a declared port (declared: " + PortNames(task) + ")");
  }
  if (!s.root.empty()) {
    if (s.root.front() == '/' || s.root.find("..") != std::string::npos) {
      Error(sp + ".root", "must be a path inside the sandbox (no leading '/', no '..')");
    } else if (task.artifacts.empty()) {
      Warning(sp + ".root", "no artifact is declared to put '" + s.root + "' in the sandbox",
              "add artifacts: [{uri: ..., extract: true}]");
    }
  }
}

// A path whose parts include "..".
bool ClimbsUp(const std::string& path) {
  size_t from = 0;
  while (from <= path.size()) {
    size_t to = path.find('/', from);
    if (to == std::string::npos) to = path.size();
    if (path.compare(from, to - from, "..") == 0) return true;
    from = to + 1;
  }
  return false;
}

void Checker::CheckContainer(const Task& task, const std::string& at) {
  const bool mapped = task.container && task.container->network != ContainerNetwork::kHost;
  std::vector<std::string> port_paths = ItemPaths(at + ".ports", task.ports);
  for (size_t i = 0; i < task.ports.size(); ++i) {
    if (task.ports[i].container_port && !mapped) {
      Warning(port_paths[i] + ".container_port",
              "has no effect: only a container on a bridge or CNI network maps ports",
              "remove it, or give the task container.network: bridge (docker) or cni");
    }
  }
  if (!task.container) return;
  const Container& c = *task.container;
  const std::string cp = at + ".container";
  if (c.network == ContainerNetwork::kBridge && c.type == ContainerType::kMesos) {
    Error(cp + ".network", "Mesos' containerizer has no bridge network",
          "join a CNI network (network: cni, network_name: NAME), or use type: docker");
  }
  if (c.network == ContainerNetwork::kCni) {
    if (c.type == ContainerType::kDocker) {
      Error(cp + ".network", "CNI networks are joined through Mesos' containerizer",
            "use type: mesos, or network: bridge with Docker");
    } else if (c.network_name.empty()) {
      Error(cp + ".network", "network: cni needs the network's name",
            "add network_name: NAME (a CNI network the agents know)");
    }
  } else if (!c.network_name.empty()) {
    Error(cp + ".network_name", "names a CNI network, but network is not cni",
          "add network: cni, or remove network_name");
  }
  std::map<std::string, std::string> mounted;  // container path -> its volume's path
  for (size_t i = 0; i < c.volumes.size(); ++i) {
    const Volume& v = c.volumes[i];
    const std::string vp = cp + ".volumes[" + std::to_string(i) + "]";
    if (!v.container_path.empty()) {
      if (v.container_path.front() != '/' || ClimbsUp(v.container_path)) {
        Error(vp + ".container_path",
              "must be an absolute path without '..' (got '" + v.container_path + "')");
      } else if (auto [first, fresh] = mounted.emplace(v.container_path, vp); !fresh) {
        Error(vp + ".container_path", "'" + v.container_path +
                                          "' is mounted twice (first at line " +
                                          std::to_string(Line(first->second)) + ")");
      }
    }
    if (v.host_path.empty() == v.sandbox_path.empty()) {
      Error(vp, v.host_path.empty() ? "says nothing to mount" : "gives two things to mount",
            "give exactly one of host_path (on the agent) and sandbox_path (in the sandbox)");
    } else if (!v.host_path.empty() && v.host_path.front() != '/') {
      Error(vp + ".host_path", "must be an absolute path on the agent (got '" + v.host_path + "')",
            "for a path in the task's sandbox, use sandbox_path");
    } else if (!v.sandbox_path.empty() &&
               (v.sandbox_path.front() == '/' || ClimbsUp(v.sandbox_path))) {
      Error(vp + ".sandbox_path", "must be a path inside the sandbox (no leading '/', no '..')",
            "for a path on the agent, use host_path");
    }
  }
}

void Checker::CheckHealth(const Task& task, const std::string& at) {
  if (!task.health_check) return;
  const HealthCheck& h = *task.health_check;
  std::string hp = at + ".health_check";
  if (h.type == HealthType::kCommand) {
    if (h.command.empty()) Error(hp, "a command check needs a command", "add command: ...");
  } else {
    if (!h.command.empty()) {
      Error(hp + ".command", "only command checks run a command", "set type: command");
    }
    if (task.ports.empty()) {
      Error(hp, "a " + std::string(Name(h.type)) + " check needs a port",
            "add ports: [{name: http}]");
    } else if (!h.port.empty() && !HasPort(task, h.port)) {
      Error(hp + ".port",
            "'" + h.port + "' is not a declared port (declared: " + PortNames(task) + ")");
    }
  }
  if (h.type == HealthType::kHttp && (h.path.empty() || h.path.front() != '/')) {
    Error(hp + ".path", "must start with '/' (got '" + h.path + "')");
  }
  if (h.interval.ms <= 0) Error(hp + ".interval", "must be longer than 0s");
  if (h.timeout.ms <= 0) Error(hp + ".timeout", "must be longer than 0s");
  if (h.interval.ms > 0 && h.timeout > h.interval) {
    Error(hp + ".timeout", "must not be longer than interval (" + FormatDuration(h.interval) + ")");
  }
}

void Checker::CheckConstraints(const Task& task, const std::string& at) {
  for (size_t i = 0; i < task.constraints.size(); ++i) {
    const Constraint& c = task.constraints[i];
    std::string cp = at + ".constraints[" + std::to_string(i) + "]";
    // The operand: [field, OP, value] or {..., value: ...}.
    std::string vp = spec_.where.Has(cp + ".value") ? cp + ".value" : cp + "[2]";
    std::string op(Name(c.op));
    switch (c.op) {
      case ConstraintOp::kUnique:
        if (!c.value.empty()) Error(vp, "UNIQUE takes no value", "write [" + c.field + ", UNIQUE]");
        break;
      case ConstraintOp::kCluster:
      case ConstraintOp::kIs:
        if (c.value.empty())
          Error(cp, op + " needs a value", "write [" + c.field + ", " + op + ", VALUE]");
        break;
      case ConstraintOp::kLike:
      case ConstraintOp::kUnlike:
        if (c.value.empty()) {
          Error(cp, op + " needs a regular expression",
                "write [" + c.field + ", " + op + ", \"rack-[12]\"]");
        } else {
          Result<Regex> compiled = Regex::Compile(c.value);
          if (!compiled.ok()) {
            Error(vp, "not a usable regular expression (RE2 syntax): " + compiled.message());
          }
        }
        break;
      case ConstraintOp::kMaxPer:
      case ConstraintOp::kGroupBy: {
        bool optional = c.op == ConstraintOp::kGroupBy;
        bool number = !c.value.empty() && c.value.size() < 7 &&
                      std::all_of(c.value.begin(), c.value.end(), ::isdigit) && c.value != "0" &&
                      c.value.front() != '0';
        if ((c.value.empty() && !optional) || (!c.value.empty() && !number)) {
          Error(c.value.empty() ? cp : vp,
                op + " needs a whole number >= 1" +
                    (c.value.empty() ? "" : " (got '" + c.value + "')"),
                "write [" + c.field + ", " + op + ", 2]");
        }
        break;
      }
    }
  }
}

bool LooksSecret(const std::string& name) {
  std::string upper;
  for (char ch : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  for (const char* word : {"PASSWORD", "PASSWD", "SECRET", "TOKEN", "PRIVATE_KEY", "API_KEY"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

// Names mesos-launch sets for every task (docs/spec.md, "Environment").
bool Reserved(const std::string& name) {
  if (name == "PORT" || name == "PORTS" || name == "HOST" || name == "MESOS_TASK_ID") return true;
  if (name.rfind("MESOS_LAUNCH_", 0) == 0 || name.rfind("PORT_", 0) == 0) return true;
  return name.size() > 4 && name.rfind("PORT", 0) == 0 &&
         std::all_of(name.begin() + 4, name.end(), ::isdigit);
}

void Checker::CheckEnv(const Task& task, const std::string& at) {
  for (const auto& [name, var] : task.env) {
    std::string ep = at + ".env." + name;
    if (Reserved(name)) {
      Error(ep, "'" + name + "' is set by mesos-launch for every task",
            "use a name of your own; PORT*, HOST, MESOS_TASK_ID and MESOS_LAUNCH_* are taken");
      continue;
    }
    int sources = (var.value.empty() ? 0 : 1) + (var.from_file.empty() ? 0 : 1) +
                  (var.from_env.empty() ? 0 : 1);
    if (sources > 1) {
      Error(ep, "give one of value, from_file and from_env");
    }
    if (var.secret && !var.value.empty()) {
      Error(ep + ".value", "a secret must not be written in the spec",
            "put it in a file and write {from_file: PATH, secret: true}, or use from_env");
    } else if (var.secret && sources == 0) {
      Error(ep, "a secret needs from_file or from_env");
    } else if (!var.secret && !var.value.empty() && LooksSecret(name)) {
      Warning(ep, "'" + name + "' looks like a secret written inline",
              "write {from_file: PATH, secret: true} so it is never shown");
    }
  }
}

void Checker::CheckText(const Task& task, const std::string& path, const std::string& text) {
  for (const Placeholder& p : FindPlaceholders(text)) {
    std::string hint;
    std::string problem = CheckPlaceholder(p.name, spec_, task, hint);
    if (!problem.empty()) Error(path, problem, hint);
  }
}

void Checker::CheckPlaceholders(const Task& task, const std::string& at) {
  CheckText(task, at + ".command", task.command);
  for (size_t i = 0; i < task.args.size(); ++i) {
    CheckText(task, at + ".args[" + std::to_string(i) + "]", task.args[i]);
  }
  for (const auto& [name, var] : task.env) CheckText(task, at + ".env." + name, var.value);
  if (task.service && task.service->payload) {
    CheckText(task, at + ".service.payload", *task.service->payload);
  }
  if (task.health_check) CheckText(task, at + ".health_check.command", task.health_check->command);
}

void Checker::CheckDependencies() {
  for (size_t i = 0; i < spec_.tasks.size(); ++i) {
    const Task& task = spec_.tasks[i];
    for (size_t d = 0; d < task.depends_on.size(); ++d) {
      const Dependency& dep = task.depends_on[d];
      std::string dp = task_paths_[i] + ".depends_on[" + std::to_string(d) + "]";
      const Task* target = FindTask(dep.task);
      if (dep.task.empty()) continue;
      if (dep.task == task.name) {
        Error(dp, "a task cannot depend on itself");
      } else if (!target) {
        std::vector<std::string> names;
        for (const Task& t : spec_.tasks) names.push_back(t.name);
        std::string close = ClosestMatch(dep.task, names);
        Error(dp, "no task is named '" + dep.task + "'",
              close.empty() ? "" : "did you mean '" + close + "'?");
      } else if (dep.condition == DependsCondition::kHealthy && !target->health_check) {
        Error(dp, "'" + dep.task + "' has no health_check, so it never becomes healthy",
              "add a health_check to '" + dep.task + "' or use condition: started");
      } else if (dep.condition == DependsCondition::kCompleted && target->service) {
        Error(dp, "'" + dep.task + "' is a service and never completes",
              "use condition: started or healthy");
      }
    }
  }

  // Cycles: depth-first search, reporting each cycle once at its first task.
  enum class Mark { kNew, kActive, kDone };
  std::map<std::string, Mark> marks;
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<void(size_t)> visit = [&](size_t i) {
    const Task& task = spec_.tasks[i];
    marks[task.name] = Mark::kActive;
    stack.push_back(task.name);
    for (const Dependency& dep : task.depends_on) {
      for (size_t j = 0; j < spec_.tasks.size(); ++j) {
        if (spec_.tasks[j].name != dep.task || dep.task == task.name) continue;
        Mark m = marks[dep.task];
        if (m == Mark::kNew) {
          visit(j);
        } else if (m == Mark::kActive) {
          auto from = std::find(stack.begin(), stack.end(), dep.task);
          std::string cycle;
          std::set<std::string> members(from, stack.end());
          for (auto it = from; it != stack.end(); ++it) cycle += *it + " -> ";
          cycle += dep.task;
          std::string key;
          for (const std::string& member : members) key += member + "\n";
          if (reported.insert(key).second) {
            Error(task_paths_[j] + ".depends_on", "dependency cycle: " + cycle,
                  "remove one of these depends_on entries");
          }
        }
        break;
      }
    }
    stack.pop_back();
    marks[task.name] = Mark::kDone;
  };
  for (size_t i = 0; i < spec_.tasks.size(); ++i) {
    if (!spec_.tasks[i].name.empty() && marks[spec_.tasks[i].name] == Mark::kNew) visit(i);
  }
}

}  // namespace

void Validate(const Spec& spec, Diagnostics& diagnostics) { Checker(spec, diagnostics).Run(); }

}  // namespace mlaunch::spec

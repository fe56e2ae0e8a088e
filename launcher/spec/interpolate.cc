#include "launcher/spec/interpolate.h"

#include <algorithm>

namespace mlaunch::spec {

std::vector<Placeholder> FindPlaceholders(std::string_view text) {
  std::vector<Placeholder> out;
  for (size_t at = text.find("${"); at != std::string_view::npos; at = text.find("${", at + 2)) {
    size_t close = text.find('}', at + 2);
    if (close == std::string_view::npos) break;
    std::string_view name = text.substr(at + 2, close - at - 2);
    if (name.empty() || name[0] < 'a' || name[0] > 'z') continue;
    out.push_back({at, close - at + 1, std::string(name)});
  }
  return out;
}

std::string Substitute(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  size_t done = 0;
  for (const Placeholder& p : FindPlaceholders(text)) {
    std::optional<std::string> value = lookup(p.name);
    if (!value) continue;
    out.append(text.substr(done, p.begin - done));
    out += *value;
    done = p.begin + p.length;
  }
  out.append(text.substr(done));
  return out;
}

namespace {

std::vector<std::string> Split(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
    parts.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  parts.push_back(name.substr(start));
  return parts;
}

std::string PortList(const Task& task) {
  std::string out;
  for (const Port& p : task.ports) out += (out.empty() ? "" : ", ") + p.name;
  return out.empty() ? "none" : out;
}

bool HasPort(const Task& task, const std::string& name) {
  return std::any_of(task.ports.begin(), task.ports.end(),
                     [&](const Port& p) { return p.name == name; });
}

}  // namespace

std::string CheckPlaceholder(const std::string& name, const Spec& spec, const Task& task,
                             std::string& hint) {
  static const std::vector<std::string> kRoots = {"ports",   "host",         "instance",
                                                  "task_id", "framework_id", "tasks"};
  std::vector<std::string> parts = Split(name);
  const std::string& root = parts[0];
  if (parts.size() == 1 && root != "ports" && root != "tasks" &&
      std::find(kRoots.begin(), kRoots.end(), root) != kRoots.end()) {
    return {};
  }
  if (root == "ports") {
    if (parts.size() != 2) {
      hint = "write ${ports.NAME}";
      return "'${" + name + "}' is not a placeholder";
    }
    if (!HasPort(task, parts[1])) {
      return "'${" + name + "}': '" + parts[1] +
             "' is not a declared port (declared: " + PortList(task) + ")";
    }
    return {};
  }
  if (root == "tasks") {
    bool shape = (parts.size() == 3 && parts[2] == "host") ||
                 (parts.size() == 4 && (parts[2] == "ports" || parts[2] == "addr"));
    if (!shape) {
      hint = "write ${tasks.NAME.host}, ${tasks.NAME.ports.PORT} or ${tasks.NAME.addr.PORT}";
      return "'${" + name + "}' is not a placeholder";
    }
    auto other = std::find_if(spec.tasks.begin(), spec.tasks.end(),
                              [&](const Task& t) { return t.name == parts[1]; });
    if (other == spec.tasks.end()) return "'${" + name + "}': no task is named '" + parts[1] + "'";
    if (other->name == task.name) {
      hint = parts.size() == 3 ? "write ${host}" : "write ${ports." + parts[3] + "}";
      return "'${" + name + "}' names this task itself";
    }
    if (parts.size() == 4 && !HasPort(*other, parts[3])) {
      return "'${" + name + "}': '" + parts[3] + "' is not a port of '" + parts[1] +
             "' (declared: " + PortList(*other) + ")";
    }
    bool waits = std::any_of(task.depends_on.begin(), task.depends_on.end(),
                             [&](const Dependency& d) { return d.task == parts[1]; });
    if (!waits) {
      hint = "add depends_on: [" + parts[1] + "] so it is placed first";
      return "'${" + name + "}' is only known once '" + parts[1] + "' runs";
    }
    return {};
  }
  std::string close;
  for (const std::string& r : kRoots) {
    if (root.size() > 2 && (r.rfind(root, 0) == 0 || root.rfind(r, 0) == 0)) close = r;
  }
  if (!close.empty())
    hint = "did you mean ${" + close + (close == "ports" || close == "tasks" ? ".…" : "") + "}?";
  return "'${" + name +
         "}' is not a placeholder (known: ports.NAME, host, instance, task_id, "
         "framework_id, tasks.NAME.…)";
}

}  // namespace mlaunch::spec

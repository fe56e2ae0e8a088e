#include "launcher/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/atomic_file.h"
#include "common/json_text.h"

namespace mlaunch {
namespace {

std::string Errno() { return std::strerror(errno); }

// Framework names may hold anything; file names may not.
std::string FileName(const std::string& framework_name) {
  std::string out;
  for (char c : framework_name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
    out += plain ? c : '_';
  }
  if (out.empty() || out[0] == '.') out = "_" + out;
  return out + ".json";
}

// A string member of `object`, or "" (missing, or of another type).
std::string Text(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

StateStore::StateStore(std::string dir, const std::string& framework_name)
    : dir_(std::move(dir)), path_(dir_ + "/" + FileName(framework_name)) {}

std::string StateStore::DefaultDir(const std::optional<std::string>& xdg_state_home,
                                   const std::optional<std::string>& home) {
  if (xdg_state_home && !xdg_state_home->empty()) return *xdg_state_home + "/mesos-launch";
  return (home && !home->empty() ? *home : std::string(".")) + "/.local/state/mesos-launch";
}

Result<std::optional<SavedState>> StateStore::Load() const {
  std::ifstream in(path_);
  if (!in) {
    if (errno == ENOENT) return std::optional<SavedState>();
    return Status::Error(StatusCode::kUnavailable, "cannot read " + path_ + ": " + Errno());
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("framework_id") ||
      !j["framework_id"].is_string()) {
    return Status::InvalidData(path_ +
                               " is not a mesos-launch state file; move it away to start afresh");
  }
  SavedState state;
  state.framework_id = j["framework_id"].get<std::string>();
  if (j.contains("tasks") && j["tasks"].is_array()) {
    for (const auto& t : j["tasks"]) {
      if (!t.is_object() || !t.contains("task_id") || !t["task_id"].is_string()) continue;
      KnownTask task;
      task.task_id = t["task_id"].get<std::string>();
      task.agent_id = Text(t, "agent_id");
      task.hostname = Text(t, "hostname");
      if (t.contains("attributes") && t["attributes"].is_object()) {
        for (const auto& [name, value] : t["attributes"].items()) {
          if (value.is_string()) task.attributes[name] = value.get<std::string>();
        }
      }
      if (t.contains("ports") && t["ports"].is_object()) {
        for (const auto& [name, value] : t["ports"].items()) {
          if (value.is_number_unsigned() && value.get<uint64_t>() <= 65535) {
            task.ports[name] = value.get<uint32_t>();
          }
        }
      }
      task.healthy = t.contains("healthy") && t["healthy"].is_boolean() && t["healthy"].get<bool>();
      state.tasks.push_back(std::move(task));
    }
  }
  return std::optional<SavedState>(std::move(state));
}

Status StateStore::Save(const SavedState& state) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    return Status::Error(StatusCode::kUnavailable, "cannot create " + dir_ + ": " + ec.message());
  nlohmann::json tasks = nlohmann::json::array();
  for (const KnownTask& t : state.tasks) {
    tasks.push_back({{"task_id", t.task_id},
                     {"agent_id", t.agent_id},
                     {"hostname", t.hostname},
                     {"attributes", t.attributes},
                     {"ports", t.ports},
                     {"healthy", t.healthy}});
  }
  std::string text = JsonText({{"framework_id", state.framework_id}, {"tasks", tasks}}, 2) + "\n";
  return WriteFileAtomically(path_, text);
}

Status StateStore::Clear() const {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Status::Error(StatusCode::kUnavailable, "cannot remove " + path_ + ": " + Errno());
  }
  return Status::Ok();
}

}  // namespace mlaunch

#include "launcher/state_store.h"

#include "common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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
    return Status::InvalidData(path_ + " is not a mesos-launch state file; move it away to start afresh");
  }
  SavedState state;
  state.framework_id = j["framework_id"].get<std::string>();
  if (j.contains("tasks") && j["tasks"].is_array()) {
    for (const auto& t : j["tasks"]) {
      if (t.is_object() && t.contains("task_id") && t["task_id"].is_string()) {
        state.tasks.push_back({t["task_id"].get<std::string>(), t.value("agent_id", "")});
      }
    }
  }
  return std::optional<SavedState>(std::move(state));
}

Status StateStore::Save(const SavedState& state) const {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return Status::Error(StatusCode::kUnavailable, "cannot create " + dir_ + ": " + ec.message());
  nlohmann::json tasks = nlohmann::json::array();
  for (const SavedTask& t : state.tasks) {
    tasks.push_back({{"task_id", t.task_id}, {"agent_id", t.agent_id}});
  }
  std::string text =
      nlohmann::json{{"framework_id", state.framework_id}, {"tasks", tasks}}.dump(2) + "\n";
  return WriteFileAtomically(path_, text);
}

Status StateStore::Clear() const {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Status::Error(StatusCode::kUnavailable, "cannot remove " + path_ + ": " + Errno());
  }
  return Status::Ok();
}

}  // namespace mlaunch

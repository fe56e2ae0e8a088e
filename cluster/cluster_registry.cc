#include "cluster/cluster_registry.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"
#include "common/json_text.h"
#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

std::string RegistryPath(const std::string& work_dir) {
  return (std::filesystem::path(work_dir) / "registry.json").string();
}

bool ClusterRegistry::MarkGone(const std::string& agent_id) {
  for (RegisteredAgent& agent : agents) {
    if (agent.id != agent_id) continue;
    agent.gone = true;
    return true;
  }
  return false;
}

std::string RegistryText(const ClusterRegistry& registry) {
  nlohmann::json agents = nlohmann::json::array();
  for (const RegisteredAgent& agent : registry.agents) {
    nlohmann::json entry = {{"id", agent.id}, {"address", agent.address}, {"port", agent.port}};
    if (agent.gone) entry["gone"] = true;
    agents.push_back(std::move(entry));
  }
  return JsonText({{"agents", agents}}, 2) + "\n";
}

Result<ClusterRegistry> ParseRegistry(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Status::InvalidData("not a JSON object");
  }
  const auto agents = json.find("agents");
  if (agents == json.end() || !agents->is_array()) {
    return Status::InvalidData("'agents' must be an array");
  }
  ClusterRegistry registry;
  for (std::size_t i = 0; i < agents->size(); ++i) {
    const nlohmann::json& entry = (*agents)[i];
    const std::string where = "agents[" + std::to_string(i) + "]";
    if (!entry.is_object()) return Status::InvalidData(where + " must be an object");
    RegisteredAgent agent;
    const auto id = entry.find("id");
    const auto address = entry.find("address");
    const auto port = entry.find("port");
    if (id == entry.end() || !id->is_string() || id->get<std::string>().empty()) {
      return Status::InvalidData(where + ".id must be a non-empty string");
    }
    if (address == entry.end() || !address->is_string() || address->get<std::string>().empty()) {
      return Status::InvalidData(where + ".address must be a non-empty string");
    }
    if (port == entry.end() || !port->is_number_integer() || port->get<std::int64_t>() < 1 ||
        port->get<std::int64_t>() > 65535) {
      return Status::InvalidData(where + ".port must be an integer in 1-65535");
    }
    const auto gone = entry.find("gone");
    if (gone != entry.end() && !gone->is_boolean()) {
      return Status::InvalidData(where + ".gone must be true or false");
    }
    agent.gone = gone != entry.end() && gone->get<bool>();
    agent.id = id->get<std::string>();
    agent.address = address->get<std::string>();
    agent.port = static_cast<std::uint16_t>(port->get<std::int64_t>());
    registry.agents.push_back(std::move(agent));
  }
  return registry;
}

Result<std::optional<ClusterRegistry>> LoadRegistry(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    if (error) {
      return Status::Error(StatusCode::kUnavailable,
                           "cannot read " + path + ": " + error.message());
    }
    return std::optional<ClusterRegistry>();
  }
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return Status::Error(StatusCode::kUnavailable, "cannot read " + path);
  auto parsed = ParseRegistry(text.str());
  if (!parsed.ok()) return Status::InvalidData(path + ": " + parsed.message());
  return std::optional<ClusterRegistry>(std::move(parsed).value());
}

Status SaveRegistry(const std::string& path, const ClusterRegistry& registry) {
  return WriteFileAtomically(path, RegistryText(registry));
}

}  // namespace mlaunch::cluster

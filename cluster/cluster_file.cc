#include "cluster/cluster_file.h"

#include <charconv>

#include "cluster/agent_spec.h"
#include "common/yaml_tree.h"

namespace mlaunch::cluster {
namespace {

// "FILE:LINE:COL: what" for a node.
Status Problem(const std::string& path, const YamlNode& node, const std::string& what) {
  return Status::InvalidData(path + ":" + std::to_string(node.loc.line) + ":" +
                             std::to_string(node.loc.column) + ": " + what);
}

// A plain whole number, or nothing.
std::optional<long> WholeNumber(const YamlNode& node) {
  if (!node.IsScalar() || !node.plain) return std::nullopt;
  long value = 0;
  const char* end = node.text.data() + node.text.size();
  auto [stop, error] = std::from_chars(node.text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

}  // namespace

Result<std::vector<AgentShape>> ParseClusterFile(const std::string& path, const std::string& text,
                                                 const std::string& default_resources,
                                                 int max_agents) {
  YamlDocument document;
  std::string error;
  SourceLoc where;
  if (!ParseYaml(text, document, error, where)) {
    return Status::InvalidData(path + ":" + std::to_string(where.line) + ":" +
                               std::to_string(where.column) + ": " + error);
  }
  const YamlNode& root = *document.root;
  if (!root.IsMap()) {
    return Status::InvalidData(path + ":1:1: a cluster file is a mapping with an `agents:` list");
  }
  if (document.second_start) {
    return Problem(path, root, "a cluster file holds one YAML document");
  }
  const YamlNode* agents = nullptr;
  for (const auto& [key, value] : root.entries) {
    if (key->text != "agents") {
      return Problem(path, *key, "unknown key `" + key->text + "` (the file has `agents:` only)");
    }
    if (agents) return Problem(path, *key, "`agents:` is given twice");
    agents = value;
  }
  if (!agents || !agents->IsSequence() || agents->items.empty()) {
    return Problem(path, agents ? *agents : root, "`agents:` must be a list of one or more agents");
  }

  std::vector<AgentShape> shapes;
  for (const YamlNode* agent : agents->items) {
    if (!agent->IsMap()) {
      return Problem(path, *agent, "an agent is a mapping of resources, attributes and count");
    }
    std::string resources = default_resources;
    std::string attributes;
    const YamlNode* resources_at = agent;
    const YamlNode* attributes_at = agent;
    long count = 1;
    for (const auto& [key, value] : agent->entries) {
      if (key->text == "resources" || key->text == "attributes") {
        if (!value->IsScalar()) {
          return Problem(path, *value,
                         "`" + key->text + "` is text such as " +
                             (key->text == "resources" ? "\"cpus:2;mem:2048;ports:[31000-31999]\""
                                                       : "\"rack:r1;zone:a\""));
        }
        (key->text == "resources" ? resources : attributes) = value->text;
        (key->text == "resources" ? resources_at : attributes_at) = value;
      } else if (key->text == "count") {
        count = WholeNumber(*value).value_or(0);
        if (count < 1 || count > max_agents) {
          return Problem(path, *value,
                         "`count` is a whole number from 1 to " + std::to_string(max_agents));
        }
      } else {
        return Problem(
            path, *key,
            "unknown key `" + key->text + "` (an agent has resources, attributes, count)");
      }
    }
    AgentShape shape;
    auto parsed_resources = ParseResources(resources);
    if (!parsed_resources.ok()) return Problem(path, *resources_at, parsed_resources.message());
    auto parsed_attributes = ParseAttributes(attributes);
    if (!parsed_attributes.ok()) return Problem(path, *attributes_at, parsed_attributes.message());
    shape.resources = std::move(parsed_resources).value();
    shape.attributes = std::move(parsed_attributes).value();
    if (static_cast<long>(shapes.size()) + count > max_agents) {
      return Problem(path, *agent, "more than " + std::to_string(max_agents) + " agents");
    }
    shapes.insert(shapes.end(), static_cast<std::size_t>(count), shape);
  }
  return shapes;
}

}  // namespace mlaunch::cluster

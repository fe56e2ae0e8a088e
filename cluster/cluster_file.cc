#include "cluster/cluster_file.h"

#include <yaml-cpp/yaml.h>

#include "cluster/agent_spec.h"

namespace mlaunch::cluster {
namespace {

// "FILE:LINE:COL: " for a node (yaml-cpp counts from 0).
std::string Where(const std::string& path, const YAML::Mark& mark) {
  return path + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

Status Problem(const std::string& path, const YAML::Node& node, const std::string& what) {
  return Status::InvalidData(Where(path, node.Mark()) + what);
}

bool IsText(const YAML::Node& node) { return node.IsScalar(); }

}  // namespace

Result<std::vector<AgentShape>> ParseClusterFile(const std::string& path, const std::string& text,
                                                 const std::string& default_resources,
                                                 int max_agents) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidData(Where(path, e.mark) + e.msg);
  }
  if (!root.IsMap()) {
    return Status::InvalidData(path + ":1:1: a cluster file is a mapping with an `agents:` list");
  }
  YAML::Node agents;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (key != "agents") {
      return Problem(path, entry.first, "unknown key `" + key + "` (the file has `agents:` only)");
    }
    agents = entry.second;
  }
  if (!agents || !agents.IsSequence() || agents.size() == 0) {
    return Problem(path, agents ? agents : root, "`agents:` must be a list of one or more agents");
  }

  std::vector<AgentShape> shapes;
  for (const YAML::Node& agent : agents) {
    if (!agent.IsMap()) {
      return Problem(path, agent, "an agent is a mapping of resources, attributes and count");
    }
    std::string resources = default_resources;
    std::string attributes;
    long count = 1;
    for (const auto& entry : agent) {
      const std::string key = entry.first.Scalar();
      const YAML::Node& value = entry.second;
      if (key == "resources" || key == "attributes") {
        if (!IsText(value)) {
          return Problem(path, value,
                         "`" + key + "` is text such as " +
                             (key == "resources" ? "\"cpus:2;mem:2048;ports:[31000-31999]\""
                                                 : "\"rack:r1;zone:a\""));
        }
        (key == "resources" ? resources : attributes) = value.Scalar();
      } else if (key == "count") {
        try {
          count = value.as<long>();
        } catch (const YAML::Exception&) {
          count = 0;
        }
        if (count < 1 || count > max_agents) {
          return Problem(path, value,
                         "`count` is a whole number from 1 to " + std::to_string(max_agents));
        }
      } else {
        return Problem(path, entry.first,
                       "unknown key `" + key + "` (an agent has resources, attributes, count)");
      }
    }
    AgentShape shape;
    auto parsed_resources = ParseResources(resources);
    if (!parsed_resources.ok()) {
      return Problem(path, agent["resources"] ? agent["resources"] : agent,
                     parsed_resources.message());
    }
    auto parsed_attributes = ParseAttributes(attributes);
    if (!parsed_attributes.ok()) {
      return Problem(path, agent["attributes"], parsed_attributes.message());
    }
    shape.resources = std::move(parsed_resources).value();
    shape.attributes = std::move(parsed_attributes).value();
    if (static_cast<long>(shapes.size()) + count > max_agents) {
      return Problem(path, agent, "more than " + std::to_string(max_agents) + " agents");
    }
    shapes.insert(shapes.end(), static_cast<std::size_t>(count), shape);
  }
  return shapes;
}

}  // namespace mlaunch::cluster

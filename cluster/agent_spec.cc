#include "cluster/agent_spec.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

namespace mlaunch::cluster {
namespace {

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == separator && depth == 0) {
      parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(current);
  return parts;
}

std::optional<double> Number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (*end != '\0' || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<mesos::v1::Value::Ranges> Ranges(const std::string& text) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return std::nullopt;
  mesos::v1::Value::Ranges ranges;
  for (const std::string& item : Split(text.substr(1, text.size() - 2), ',')) {
    const std::size_t dash = item.find('-');
    if (dash == std::string::npos) return std::nullopt;
    const auto begin = Number(item.substr(0, dash));
    const auto end = Number(item.substr(dash + 1));
    if (!begin || !end || *begin < 0 || *end < *begin) return std::nullopt;
    auto* range = ranges.add_range();
    range->set_begin(static_cast<std::uint64_t>(*begin));
    range->set_end(static_cast<std::uint64_t>(*end));
  }
  return ranges;
}

}  // namespace

Result<std::vector<mesos::v1::Resource>> ParseResources(std::string_view text) {
  std::vector<mesos::v1::Resource> resources;
  for (const std::string& item : Split(text, ';')) {
    if (item.empty()) continue;
    const std::size_t colon = item.find(':');
    if (colon == std::string::npos) {
      return Status::InvalidData("resource '" + item + "' has no ':value'");
    }
    std::string name = item.substr(0, colon);
    const std::string value = item.substr(colon + 1);
    mesos::v1::Resource resource;
    const std::size_t paren = name.find('(');
    if (paren != std::string::npos) {
      if (name.back() != ')') return Status::InvalidData("resource '" + item + "' has a bad role");
      resource.set_role(name.substr(paren + 1, name.size() - paren - 2));
      name = name.substr(0, paren);
    } else {
      resource.set_role("*");
    }
    resource.set_name(name);
    if (auto number = Number(value)) {
      if (*number < 0) return Status::InvalidData("resource '" + item + "' is negative");
      resource.set_type(mesos::v1::Value::SCALAR);
      resource.mutable_scalar()->set_value(*number);
    } else if (auto ranges = Ranges(value)) {
      resource.set_type(mesos::v1::Value::RANGES);
      *resource.mutable_ranges() = *ranges;
    } else if (value.size() >= 2 && value.front() == '{' && value.back() == '}') {
      resource.set_type(mesos::v1::Value::SET);
      for (const std::string& member : Split(value.substr(1, value.size() - 2), ',')) {
        resource.mutable_set()->add_item(member);
      }
    } else {
      return Status::InvalidData("resource '" + item +
                                 "' needs a number, [begin-end] ranges or a {set}");
    }
    resources.push_back(std::move(resource));
  }
  return resources;
}

Result<std::vector<mesos::v1::Attribute>> ParseAttributes(std::string_view text) {
  std::vector<mesos::v1::Attribute> attributes;
  for (const std::string& item : Split(text, ';')) {
    if (item.empty()) continue;
    const std::size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::InvalidData("attribute '" + item + "' needs name:value");
    }
    mesos::v1::Attribute attribute;
    attribute.set_name(item.substr(0, colon));
    const std::string value = item.substr(colon + 1);
    if (auto number = Number(value)) {
      attribute.set_type(mesos::v1::Value::SCALAR);
      attribute.mutable_scalar()->set_value(*number);
    } else if (auto ranges = Ranges(value)) {
      attribute.set_type(mesos::v1::Value::RANGES);
      *attribute.mutable_ranges() = *ranges;
    } else {
      attribute.set_type(mesos::v1::Value::TEXT);
      attribute.mutable_text()->set_value(value);
    }
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

}  // namespace mlaunch::cluster

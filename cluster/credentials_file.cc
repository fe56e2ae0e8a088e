#include "cluster/credentials_file.h"

#include <sstream>
#include <string>

#include "nlohmann/json.hpp"

namespace mlaunch::cluster {

Result<std::vector<BasicCredentials>> ParseCredentials(std::string_view text) {
  std::vector<BasicCredentials> credentials;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '{') {
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.contains("credentials") || !json["credentials"].is_array()) {
      return Status::InvalidData(
          "credentials: expected {\"credentials\": [{\"principal\": ..., "
          "\"secret\": ...}]}");
    }
    for (const auto& entry : json["credentials"]) {
      if (!entry.is_object() || !entry.value("principal", nlohmann::json()).is_string() ||
          !entry.value("secret", nlohmann::json()).is_string()) {
        return Status::InvalidData("credentials: every entry needs a string principal and secret");
      }
      credentials.push_back(
          {entry["principal"].get<std::string>(), entry["secret"].get<std::string>()});
    }
  } else {
    std::istringstream lines{std::string(text)};
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      std::istringstream words(line);
      std::string principal, secret, extra;
      if (!(words >> principal)) continue;
      if (!(words >> secret) || (words >> extra)) {
        return Status::InvalidData("credentials: line " + std::to_string(number) +
                                   " must be 'principal secret'");
      }
      credentials.push_back({principal, secret});
    }
  }
  if (credentials.empty()) return Status::InvalidData("credentials: no credentials found");
  return credentials;
}

}  // namespace mlaunch::cluster

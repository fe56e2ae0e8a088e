#include "common/url_query.h"

#include <curl/curl.h>

#include <algorithm>

namespace mlaunch {
namespace {

std::string Unescaped(std::string text) {
  std::replace(text.begin(), text.end(), '+', ' ');
  int length = 0;
  char* decoded = curl_easy_unescape(nullptr, text.data(), static_cast<int>(text.size()), &length);
  if (!decoded) return "";
  std::string out(decoded, static_cast<std::size_t>(length));
  curl_free(decoded);
  return out;
}

}  // namespace

std::map<std::string, std::string> QueryParameters(std::string_view target) {
  std::map<std::string, std::string> parameters;
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return parameters;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    std::string name = Unescaped(std::string(pair.substr(0, equals)));
    std::string value =
        equals == std::string_view::npos ? "" : Unescaped(std::string(pair.substr(equals + 1)));
    parameters.emplace(std::move(name), std::move(value));
  }
  return parameters;
}

std::string QueryEscaped(std::string_view text) {
  char* escaped = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  if (!escaped) return "";
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

}  // namespace mlaunch

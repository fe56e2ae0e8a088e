#include "cluster/http_rules.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/base64.h"
#include "common/http_headers.h"
#include "common/text.h"

namespace mlaunch::cluster {
namespace {

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return parts;
}

}  // namespace

std::variant<bool, HttpRefusal> CallIsJson(const std::optional<std::string>& content_type) {
  if (!content_type) {
    return HttpRefusal{400, std::string("a call needs a Content-Type header: ") + kProtobufMedia +
                                " or " + kJsonMedia};
  }
  if (*content_type == kJsonMedia) return true;
  if (*content_type == kProtobufMedia) return false;
  return HttpRefusal{415, "calls are taken as " + std::string(kProtobufMedia) + " or " +
                              kJsonMedia + ", not '" + *content_type + "'"};
}

std::variant<bool, HttpRefusal> StreamIsJson(const std::optional<std::string>& accept) {
  if (AcceptsMediaType(accept, kJsonMedia)) return true;
  if (AcceptsMediaType(accept, kProtobufMedia)) return false;
  return HttpRefusal{406, std::string("the stream is sent as ") + kJsonMedia + " or " +
                              kProtobufMedia + ", and the Accept header allows neither"};
}

std::string OnlyPost(std::string_view method) {
  return "this endpoint takes POST, not " + std::string(method);
}

std::string Malformed(std::string_view why) { return "the call is malformed: " + std::string(why); }

bool AcceptsMediaType(const std::optional<std::string>& accept, std::string_view media_type) {
  if (!accept) return true;
  const std::string_view type = media_type.substr(0, media_type.find('/'));
  for (std::string_view item : Split(*accept, ',')) {
    std::vector<std::string_view> parts = Split(item, ';');
    const std::string_view range = TrimSpace(parts[0]);
    const bool matches = EqualsIgnoringCase(range, "*/*") ||
                         EqualsIgnoringCase(range, std::string(type) + "/*") ||
                         EqualsIgnoringCase(range, media_type);
    if (!matches) continue;
    double q = 1.0;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string_view param = TrimSpace(parts[i]);
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
        const std::string number(param.substr(2));
        char* end = nullptr;
        q = std::strtod(number.c_str(), &end);
        if (end == number.c_str()) q = 0;
      }
    }
    if (q > 0) return true;
  }
  return false;
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view value) {
  value = TrimSpace(value);
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos || !EqualsIgnoringCase(value.substr(0, space), "Basic")) {
    return std::nullopt;
  }
  const std::optional<std::string> decoded = Base64Decode(TrimSpace(value.substr(space + 1)));
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace mlaunch::cluster

#include "cluster/http_rules.h"

#include <openssl/evp.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/http_headers.h"

namespace mlaunch::cluster {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

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

bool AcceptsMediaType(const std::optional<std::string>& accept,
                      std::string_view media_type) {
  if (!accept) return true;
  const std::string_view type = media_type.substr(0, media_type.find('/'));
  for (std::string_view item : Split(*accept, ',')) {
    std::vector<std::string_view> parts = Split(item, ';');
    const std::string_view range = Trim(parts[0]);
    const bool matches =
        EqualsIgnoringCase(range, "*/*") ||
        EqualsIgnoringCase(range, std::string(type) + "/*") ||
        EqualsIgnoringCase(range, media_type);
    if (!matches) continue;
    double q = 1.0;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string_view param = Trim(parts[i]);
      if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') &&
          param[1] == '=') {
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

// Base64 by OpenSSL's EVP block coders (no line breaks, '=' padding).
std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  // EVP_DecodeBlock skips surrounding blanks and counts padding as zero
  // bytes; stout is stricter, and so are we: whole quads, '=' only at the end.
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  if (text.substr(0, text.size() - padding).find_first_of("= \t\r\n") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view value) {
  value = Trim(value);
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos ||
      !EqualsIgnoringCase(value.substr(0, space), "Basic")) {
    return std::nullopt;
  }
  const std::optional<std::string> decoded =
      Base64Decode(Trim(value.substr(space + 1)));
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace mlaunch::cluster

#include "cluster/http_rules.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "common/http_headers.h"

namespace mlaunch::cluster {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (left == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return std::nullopt;
      ++padding;
      continue;
    }
    if (padding > 0) return std::nullopt;
    const char* at = std::char_traits<char>::find(kAlphabet, 64, c);
    if (at == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
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

#include "executor/services/http_range.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "common/text.h"

namespace mlaunch::executor {
namespace {

// A whole decimal number, nothing else; nullopt for "", signs, overflow.
std::optional<std::uint64_t> Number(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || at != end) return std::nullopt;
  return value;
}

}  // namespace

ByteRange RangeOf(std::string_view header, std::uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  ByteRange whole;
  header = TrimSpace(header);
  if (header.substr(0, kUnit.size()) != kUnit) return whole;
  const std::string_view spec = TrimSpace(header.substr(kUnit.size()));
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view from = TrimSpace(spec.substr(0, dash));
  const std::string_view to = TrimSpace(spec.substr(dash + 1));
  ByteRange part{ByteRange::Kind::kPart, 0, 0};
  const ByteRange unsatisfiable{ByteRange::Kind::kUnsatisfiable, 0, 0};
  if (from.empty()) {  // "-N": the last N bytes
    const std::optional<std::uint64_t> suffix = Number(to);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return unsatisfiable;
    part.first = *suffix >= size ? 0 : size - *suffix;
    part.last = size - 1;
    return part;
  }
  const std::optional<std::uint64_t> first = Number(from);
  if (!first) return whole;
  std::optional<std::uint64_t> last = size == 0 ? std::optional<std::uint64_t>(0) : size - 1;
  if (!to.empty()) {
    last = Number(to);
    if (!last || *last < *first) return whole;  // not a valid range: ignored
  }
  if (*first >= size) return unsatisfiable;
  part.first = *first;
  part.last = std::min(*last, size - 1);
  return part;
}

}  // namespace mlaunch::executor

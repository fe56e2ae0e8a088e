#include "launcher/spec/units.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

namespace mlaunch::spec {
namespace {

// Reads a non-negative decimal number ("12", "1.5") from the front of `text`.
std::optional<double> TakeNumber(std::string_view& text) {
  size_t n = 0;
  bool dot = false;
  while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || (text[n] == '.' && !dot))) {
    dot = dot || text[n] == '.';
    ++n;
  }
  if (n == 0 || (n == 1 && dot)) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + n, value);
  if (ec != std::errc() || end != text.data() + n) return std::nullopt;
  text.remove_prefix(n);
  return value;
}

std::string_view TakeLetters(std::string_view& text) {
  size_t n = 0;
  while (n < text.size() &&
         ((text[n] >= 'a' && text[n] <= 'z') || (text[n] >= 'A' && text[n] <= 'Z'))) {
    ++n;
  }
  std::string_view letters = text.substr(0, n);
  text.remove_prefix(n);
  return letters;
}

constexpr double kMaxMs = 100.0 * 365 * 24 * 3600 * 1000;

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, double>, 6> kUnits{{
      {"w", 7 * 24 * 3600e3},
      {"d", 24 * 3600e3},
      {"h", 3600e3},
      {"m", 60e3},
      {"s", 1e3},
      {"ms", 1},
  }};
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;

  double total = 0;
  size_t next_unit = 0;  // units must come largest first, each once
  bool bare = true;
  auto skip_spaces = [&text] {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  };
  while (!text.empty()) {
    std::optional<double> number = TakeNumber(text);
    if (!number) return std::nullopt;
    skip_spaces();
    std::string_view unit = TakeLetters(text);
    skip_spaces();
    if (unit.empty()) {
      if (!bare || !text.empty()) return std::nullopt;  // "1m30" is ambiguous
      total = *number * 1e3;
      break;
    }
    bare = false;
    size_t i = next_unit;
    while (i < kUnits.size() && kUnits[i].first != unit) ++i;
    if (i == kUnits.size()) return std::nullopt;
    total += *number * kUnits[i].second;
    next_unit = i + 1;
  }
  if (!(total <= kMaxMs)) return std::nullopt;
  return Duration{static_cast<int64_t>(std::llround(total))};
}

std::string FormatDuration(Duration d) {
  if (d.ms == 0) return "0s";
  static constexpr std::array<std::pair<const char*, int64_t>, 5> kUnits{{
      {"d", 24 * 3600 * 1000LL},
      {"h", 3600 * 1000LL},
      {"m", 60 * 1000LL},
      {"s", 1000LL},
      {"ms", 1LL},
  }};
  std::string out;
  int64_t rest = d.ms;
  for (const auto& [name, size] : kUnits) {
    if (rest >= size) {
      out += std::to_string(rest / size) + name;
      rest %= size;
    }
  }
  return out;
}

std::optional<Megabytes> ParseMegabytes(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::optional<double> number = TakeNumber(text);
  if (!number) return std::nullopt;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  std::string_view unit = TakeLetters(text);
  if (!text.empty()) return std::nullopt;
  if (unit.empty()) return Megabytes{*number};

  // Split "GiB" into prefix 'G', binary 'i', and the optional 'B'; case is
  // ignored ("1gb" is "1GB").
  std::string lower;
  for (char c : unit) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  char prefix = static_cast<char>(lower[0] - 'a' + 'A');
  std::string_view rest = std::string_view(lower).substr(1);
  if (!rest.empty() && rest[0] == 'i') rest.remove_prefix(1);
  if (lower == "b") return Megabytes{*number / (1024.0 * 1024.0)};
  if (!(rest.empty() || rest == "b")) return std::nullopt;

  int power = 0;
  switch (prefix) {
    case 'K':
      power = 1;
      break;
    case 'M':
      power = 2;
      break;
    case 'G':
      power = 3;
      break;
    case 'T':
      power = 4;
      break;
    default:
      return std::nullopt;
  }
  // As in Mesos, "MB" and "MiB" are the same unit: prefixes are binary.
  double bytes = *number * std::pow(1024.0, power);
  return Megabytes{bytes / (1024.0 * 1024.0)};
}

}  // namespace mlaunch::spec

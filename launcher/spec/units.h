// Units in specs: durations ("10s", "1h30m", a bare number = seconds) and
// sizes ("512MiB", "1GiB", a bare number = MB as in Mesos). Pure functions.
#ifndef MLAUNCH_LAUNCHER_SPEC_UNITS_H_
#define MLAUNCH_LAUNCHER_SPEC_UNITS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlaunch::spec {

// A span of time, in milliseconds.
struct Duration {
  int64_t ms = 0;
  double seconds() const { return static_cast<double>(ms) / 1000.0; }
  friend bool operator==(const Duration&, const Duration&) = default;
  friend auto operator<=>(const Duration&, const Duration&) = default;
};

constexpr Duration Seconds(int64_t s) { return Duration{s * 1000}; }
constexpr Duration Minutes(int64_t m) { return Duration{m * 60 * 1000}; }
constexpr Duration Hours(int64_t h) { return Duration{h * 3600 * 1000}; }

// Parses "250ms", "10s", "5m", "1h30m", "2d", "1w" (units may be combined,
// largest first, each at most once; fractions allowed: "1.5h"; spaces may
// stand between numbers and units: "1h 30m"). A bare number means seconds. Returns nullopt for
// anything else, negatives or values beyond 100 years.
std::optional<Duration> ParseDuration(std::string_view text);

// "1h30m", "10s", "250ms", "0s": the shortest exact spelling.
std::string FormatDuration(Duration d);

// Megabytes as Mesos counts them for `mem` and `disk` (1 MB = 2^20 bytes).
struct Megabytes {
  double value = 0;
  friend bool operator==(const Megabytes&, const Megabytes&) = default;
};

// Parses "512MiB", "1GiB", "1.5G", "2048KiB", "64MB", "1TB". As in Mesos,
// prefixes are binary whether or not they carry the "i" ("1GB" = 1024 MB);
// the "B" is optional and case is ignored. A bare number
// means MB. Returns nullopt for anything else or negatives.
std::optional<Megabytes> ParseMegabytes(std::string_view text);

}  // namespace mlaunch::spec

#endif  // MLAUNCH_LAUNCHER_SPEC_UNITS_H_

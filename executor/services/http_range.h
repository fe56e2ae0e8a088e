// The byte range a request's `Range` header asks of a file (RFC 9110,
// section 14). One range of bytes is served as 206; several ranges, other
// units and headers that do not parse are ignored and the whole file is
// sent (200), which the RFC allows; a range that starts past the end is 416.
#ifndef MLAUNCH_EXECUTOR_SERVICES_HTTP_RANGE_H_
#define MLAUNCH_EXECUTOR_SERVICES_HTTP_RANGE_H_

#include <cstdint>
#include <string_view>

namespace mlaunch::executor {

struct ByteRange {
  enum class Kind { kWhole, kPart, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  std::uint64_t first = 0;  // kPart: the first and last byte, inclusive
  std::uint64_t last = 0;
};

// `header` is the Range header's value ("" when there is none).
ByteRange RangeOf(std::string_view header, std::uint64_t size);

}  // namespace mlaunch::executor

#endif  // MLAUNCH_EXECUTOR_SERVICES_HTTP_RANGE_H_

// UTF-8 validity (RFC 3629, section 3). A spec is UTF-8 text, every value
// mesos-launch puts into a Mesos string field must be, and so must every
// string in the JSON the programs print or serve.
#ifndef MLAUNCH_COMMON_UTF8_H_
#define MLAUNCH_COMMON_UTF8_H_

#include <cstddef>
#include <optional>
#include <string_view>

namespace mlaunch {

// The offset of the first byte that does not belong to a well-formed UTF-8
// sequence (a stray continuation byte, a truncated sequence, an overlong
// form, a surrogate, a code point above U+10FFFF); nullopt when all are.
std::optional<std::size_t> FirstInvalidUtf8(std::string_view text);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_UTF8_H_

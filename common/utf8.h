// UTF-8 validity (RFC 3629, section 3). A spec is UTF-8 text, every value
// mesos-launch puts into a Mesos string field must be, and so must every
// string in the JSON the programs print or serve.
#ifndef MLAUNCH_COMMON_UTF8_H_
#define MLAUNCH_COMMON_UTF8_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mlaunch {

// The offset of the first byte that does not belong to a well-formed UTF-8
// sequence (a stray continuation byte, a truncated sequence, an overlong
// form, a surrogate, a code point above U+10FFFF); nullopt when all are.
std::optional<std::size_t> FirstInvalidUtf8(std::string_view text);

// A piece of a byte stream (a file read piece by piece) as UTF-8 text that
// stands for its bytes one for one, so a reader counting the text's bytes
// knows where the next piece starts: each byte that is part of no
// well-formed sequence becomes '?' (U+FFFD would take three bytes for one);
// a sequence cut short by the end of `bytes`, which the next piece may
// complete, is left out, so the result is then 1 to 3 bytes shorter.
std::string Utf8Piece(std::string_view bytes);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_UTF8_H_

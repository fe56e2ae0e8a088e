// Base64 (RFC 4648, the standard alphabet with '=' padding, no line
// breaks), by OpenSSL's block coders: HTTP Basic credentials and the bytes
// fields of protobuf JSON. Pure: no I/O.
#ifndef MLAUNCH_COMMON_BASE64_H_
#define MLAUNCH_COMMON_BASE64_H_

#include <optional>
#include <string>
#include <string_view>

namespace mlaunch {

std::string Base64Encode(std::string_view bytes);

// nullopt unless `text` is whole quads with '=' only at the end (no blanks).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_BASE64_H_

// SHA-256 as lower-case hex, the form Mesos' and our checksums are written
// in (64 characters), and HMAC-SHA256. OpenSSL underneath. Thread-safe.
#ifndef MLAUNCH_COMMON_SHA256_H_
#define MLAUNCH_COMMON_SHA256_H_

#include <string>
#include <string_view>

#include "common/status.h"

namespace mlaunch {

std::string Sha256Hex(std::string_view bytes);

// HMAC-SHA256 of `message` under `key` (RFC 2104), as lower-case hex.
std::string HmacSha256Hex(std::string_view key, std::string_view message);

// Whether `text` is a SHA-256 digest as Sha256Hex writes it: 64 lowercase
// hex digits.
bool IsSha256Hex(std::string_view text);

// Whether `a` and `b` hold the same bytes, in a time that depends only on
// their lengths: for comparing a digest with one that was sent.
bool SameBytes(std::string_view a, std::string_view b);

// The digest of the file at `path`, read in pieces; an error names the file
// and the reason it cannot be read.
Result<std::string> Sha256OfFile(const std::string& path);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_SHA256_H_

#include "common/utf8.h"

namespace mlaunch {

std::optional<std::size_t> FirstInvalidUtf8(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // The sequence's length, and the range its second byte must fall in:
    // narrower than 80..BF where the lead alone would allow an overlong
    // form (E0, F0), a surrogate (ED) or more than U+10FFFF (F4).
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return i;  // a continuation byte, C0/C1 (always overlong) or F5..FF
    }
    if (i + length > text.size()) return i;
    if (byte(i + 1) < low || byte(i + 1) > high) return i;
    for (std::size_t k = 2; k < length; ++k) {
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
    }
    i += length;
  }
  return std::nullopt;
}

namespace {

// Whether `tail` (what is left at the end of a piece, from an invalid
// position) is the start of a well-formed sequence that more bytes could
// complete. Completing it with one of three continuation bytes covers
// every lead's allowed range for the second byte (A0..BF after E0, 80..9F
// after ED, 90..BF after F0, 80..8F after F4).
bool CompletableUtf8(std::string_view tail) {
  if (tail.empty() || tail.size() > 3) return false;
  const auto lead = static_cast<unsigned char>(tail[0]);
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  if (tail.size() >= length) return false;
  for (const char filler : {'\x80', '\x90', '\xa0'}) {
    std::string whole(tail);
    whole.append(length - tail.size(), filler);
    if (!FirstInvalidUtf8(whole)) return true;
  }
  return false;
}

}  // namespace

std::string Utf8Piece(std::string_view bytes) {
  std::string text(bytes);
  std::size_t from = 0;
  while (const std::optional<std::size_t> bad =
             FirstInvalidUtf8(std::string_view(text).substr(from))) {
    const std::size_t at = from + *bad;
    if (CompletableUtf8(std::string_view(text).substr(at))) {
      text.resize(at);
      break;
    }
    text[at] = '?';
    from = at + 1;
  }
  return text;
}

}  // namespace mlaunch

// Small text helpers the whole tree shares, so that each is written once.
// Pure; thread-safe.
#ifndef MLAUNCH_COMMON_TEXT_H_
#define MLAUNCH_COMMON_TEXT_H_

#include <string_view>

namespace mlaunch {

// `text` without the ASCII white space (space, tab, CR, LF, FF, VT) at
// either end: header values, a peer's messages, a program's output.
inline std::string_view TrimSpace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_TEXT_H_

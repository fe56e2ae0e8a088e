// The one way the programs turn JSON into text. nlohmann::json throws on a
// string that is not UTF-8; a peer's bytes (a task's status message, a
// framework's name) can be anything, so bytes that are not UTF-8 are
// replaced by U+FFFD instead, and what is printed or served is always valid
// JSON.
#ifndef MLAUNCH_COMMON_JSON_TEXT_H_
#define MLAUNCH_COMMON_JSON_TEXT_H_

#include <nlohmann/json.hpp>
#include <string>

namespace mlaunch {

// indent -1: one line; otherwise pretty-printed with that many spaces.
inline std::string JsonText(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_JSON_TEXT_H_

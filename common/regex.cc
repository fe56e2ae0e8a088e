#include "common/regex.h"

#include <re2/re2.h>

namespace mlaunch {

Result<Regex> Regex::Compile(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes) {
    return Status::InvalidData("it is " + std::to_string(pattern.size()) +
                               " bytes; a regular expression may be at most " +
                               std::to_string(kMaxPatternBytes) + " bytes");
  }
  RE2::Options options;
  options.set_log_errors(false);  // the error is returned, not printed
  auto re =
      std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!re->ok()) return Status::InvalidData(re->error());
  return Regex(std::move(re));
}

bool Regex::FullMatch(std::string_view text) const {
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

bool Regex::PartialMatch(std::string_view text) const {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *re_);
}

}  // namespace mlaunch

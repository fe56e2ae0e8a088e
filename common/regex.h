// Regex: a compiled regular expression for patterns that come from users
// (constraints' LIKE/UNLIKE) and for the spec's own field patterns. Backed by
// RE2: matching takes time linear in the text and memory bounded by the
// pattern, with no recursion, so neither a hostile pattern nor a long text
// can exhaust the stack or the CPU (std::regex did both). The syntax is RE2's
// (docs/spec.md): Perl-like, without backreferences or lookaround.
//
// A Regex is immutable once compiled; copies share it, and it may be used
// from any thread.
#ifndef MLAUNCH_COMMON_REGEX_H_
#define MLAUNCH_COMMON_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace re2 {
class RE2;
}

namespace mlaunch {

class Regex {
 public:
  // Longer patterns are refused (docs/reliability.md, "Limits").
  static constexpr std::size_t kMaxPatternBytes = 4096;

  // The pattern compiled, or kInvalidData saying why not (RE2's reason, or
  // the length limit).
  static Result<Regex> Compile(std::string_view pattern);

  // Whether the whole text matches.
  bool FullMatch(std::string_view text) const;
  // Whether some part of the text matches (anchors in the pattern count).
  bool PartialMatch(std::string_view text) const;

 private:
  explicit Regex(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_REGEX_H_

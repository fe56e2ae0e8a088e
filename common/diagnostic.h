// Diagnostics: what the project tells a person about their input.
//
// A Diagnostic is a value: severity, where (file, 1-based line and column; 0
// when unknown), the dotted path into the document (`tasks[web].resources.cpus`),
// a message and an optional hint. Diagnostics collects them, drops exact
// repeats, and renders them like a compiler:
//
//   specs/web.yaml:12:7: error: tasks[web].resources.cpus: must be > 0 (got -1)
//     cpus: -1
//           ^
//
// Pure code: no I/O. Not thread-safe; one Diagnostics per input.
#ifndef MLAUNCH_COMMON_DIAGNOSTIC_H_
#define MLAUNCH_COMMON_DIAGNOSTIC_H_

#include <string>
#include <string_view>
#include <vector>

namespace mlaunch {

enum class Severity { kError, kWarning };

struct SourceLoc {
  int line = 0;    // 1-based; 0 when unknown.
  int column = 0;  // 1-based, in characters; 0 when unknown.
  bool known() const { return line > 0; }
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;
  SourceLoc loc;
  std::string path;  // empty for problems with the document as a whole
  std::string message;
  std::string hint;  // "did you mean ..." or what to do; may be empty
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void Error(SourceLoc loc, std::string path, std::string message, std::string hint = {});
  void Warning(SourceLoc loc, std::string path, std::string message, std::string hint = {});
  void Add(Diagnostic d);

  // Sorted by position (unknown positions last, in the order added).
  std::vector<Diagnostic> Sorted() const;
  // True when an error was reported at `path` or below it.
  bool HasErrorUnder(const std::string& path) const;
  int error_count() const { return errors_; }
  int warning_count() const { return warnings_; }
  bool ok() const { return errors_ == 0; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
  int errors_ = 0;
  int warnings_ = 0;
};

// At most this many characters of a source line are shown, around the
// caret ("..." marks what is cut), and at most this many diagnostics by
// RenderSome: a long line or many errors cannot make the output explode.
inline constexpr int kShownLineChars = 120;
inline constexpr std::size_t kShownDiagnostics = 50;

// One diagnostic as GCC-style text; when `source` (the whole input) is given
// and the position is known, the source line and a caret follow.
std::string Render(const Diagnostic& d, std::string_view source = {});

// The first kShownDiagnostics of `sorted` rendered, then, if there are
// more, one line saying how many were not shown.
std::string RenderSome(const std::vector<Diagnostic>& sorted, std::string_view source);

// "2 errors, 1 warning" (empty when there is nothing to count).
std::string Summary(int errors, int warnings);

// The candidate closest to `word` by edit distance, if it is close enough to
// be a plausible typo; empty otherwise.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_DIAGNOSTIC_H_

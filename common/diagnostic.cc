#include "common/diagnostic.h"

#include <algorithm>
#include <optional>

namespace mlaunch {

void Diagnostics::Error(SourceLoc loc, std::string path, std::string message, std::string hint) {
  Add({Severity::kError, file_, loc, std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::Warning(SourceLoc loc, std::string path, std::string message, std::string hint) {
  Add({Severity::kWarning, file_, loc, std::move(path), std::move(message), std::move(hint)});
}

void Diagnostics::Add(Diagnostic d) {
  // The same problem can be reached twice (a `defaults:` value is read for
  // every task); say it once.
  for (const Diagnostic& seen : items_) {
    if (seen.severity == d.severity && seen.loc == d.loc && seen.path == d.path &&
        seen.message == d.message) {
      return;
    }
  }
  (d.severity == Severity::kError ? errors_ : warnings_)++;
  items_.push_back(std::move(d));
}

bool Diagnostics::HasErrorUnder(const std::string& path) const {
  for (const Diagnostic& d : items_) {
    if (d.severity != Severity::kError || d.path.compare(0, path.size(), path) != 0) continue;
    if (d.path.size() == path.size() || d.path[path.size()] == '.' || d.path[path.size()] == '[') {
      return true;
    }
  }
  return false;
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.loc.known() != b.loc.known()) return a.loc.known();
    if (a.loc.line != b.loc.line) return a.loc.line < b.loc.line;
    return a.loc.column < b.loc.column;
  });
  return out;
}

namespace {

std::optional<std::string_view> LineOf(std::string_view source, int line) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    size_t nl = source.find('\n', start);
    if (nl == std::string_view::npos || nl + 1 == source.size()) return std::nullopt;
    start = nl + 1;
  }
  size_t end = source.find('\n', start);
  std::string_view text =
      source.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return text;
}

// `text` with each control character (a spec value may hold one through a
// YAML escape) replaced by its Unicode picture, U+2400.. (one character
// wide, so a caret below still lines up): a terminal would act on it.
std::string Printable(std::string_view text, bool keep_tabs) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && !(keep_tabs && c == '\t')) || byte == 0x7F) {
      const unsigned picture = byte == 0x7F ? 0x2421 : 0x2400 + byte;
      out += static_cast<char>(0xE0 | (picture >> 12));
      out += static_cast<char>(0x80 | ((picture >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (picture & 0x3F));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string Render(const Diagnostic& d, std::string_view source) {
  std::string out = d.file.empty() ? std::string("<input>") : d.file;
  if (d.loc.known()) {
    out += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column);
  }
  out += d.severity == Severity::kError ? ": error: " : ": warning: ";
  if (!d.path.empty()) out += Printable(d.path, false) + ": ";
  out += Printable(d.message, false);
  if (!d.hint.empty()) out += "; " + Printable(d.hint, false);
  out += "\n";
  if (d.loc.known() && !source.empty()) {
    if (std::optional<std::string_view> text = LineOf(source, d.loc.line)) {
      // Where each character starts (UTF-8 continuation bytes are not
      // characters); a long line is cut to a window around the column.
      const std::string_view line = *text;
      std::vector<std::size_t> starts;
      for (std::size_t i = 0; i < line.size(); ++i) {
        if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) starts.push_back(i);
      }
      const int chars = static_cast<int>(starts.size());
      const int caret = std::max(0, d.loc.column - 1);
      int first = 0;
      int last = chars;
      if (chars > kShownLineChars) {
        first = std::clamp(caret - kShownLineChars / 2, 0, chars - kShownLineChars);
        last = first + kShownLineChars;
      }
      auto at = [&](int c) {
        return c < chars ? starts[static_cast<std::size_t>(c)] : line.size();
      };
      const std::string_view shown = line.substr(at(first), at(last) - at(first));
      out += first > 0 ? "  ..." : "  ";
      out += Printable(shown, /*keep_tabs=*/true);
      out += last < chars ? "...\n  " : "\n  ";
      if (first > 0) out += "   ";
      // One pad per character before the column; tabs stay tabs so the
      // caret lines up.
      for (int c = first; c < std::min(caret, last); ++c) {
        out += line[at(c)] == '\t' ? '\t' : ' ';
      }
      out += "^\n";
    }
  }
  return out;
}

std::string RenderSome(const std::vector<Diagnostic>& sorted, std::string_view source) {
  std::string out;
  for (std::size_t i = 0; i < sorted.size() && i < kShownDiagnostics; ++i) {
    out += Render(sorted[i], source);
  }
  if (sorted.size() > kShownDiagnostics) {
    out += "(" + std::to_string(sorted.size() - kShownDiagnostics) +
           " more not shown; the first ones may explain them)\n";
  }
  return out;
}

std::string Summary(int errors, int warnings) {
  auto plural = [](int n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  if (errors == 0 && warnings == 0) return {};
  if (warnings == 0) return plural(errors, "error");
  if (errors == 0) return plural(warnings, "warning");
  return plural(errors, "error") + ", " + plural(warnings, "warning");
}

namespace {

// Edits (insert, delete, substitute, swap two neighbours) from a to b.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  if (word.size() < 3) return best;  // one or two letters are no evidence of a typo
  size_t best_distance = std::max<size_t>(1, std::min<size_t>(3, word.size() / 3));
  for (const std::string& c : candidates) {
    size_t distance = EditDistance(word, c);
    if (distance <= best_distance && (best.empty() || distance < best_distance)) {
      best = c;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace mlaunch

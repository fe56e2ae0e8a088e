#include "launcher/spec/docs.h"

#include <sstream>

#include "launcher/spec/fields.h"

namespace mlaunch::spec {
namespace {

class Rows;

// Every overload is declared first, so the templates below see them all.
std::string TypeName(const bool&);
std::string TypeName(const int64_t&);
std::string TypeName(const double&);
std::string TypeName(const std::string&);
std::string TypeName(const Duration&);
std::string TypeName(const Megabytes&);
std::string TypeName(const Extract&);
std::string TypeName(const Labels&);
std::string TypeName(const std::map<std::string, EnvVar>&);
std::string TypeName(const Port&);
std::string TypeName(const Dependency&);
std::string TypeName(const Constraint&);
std::string TypeName(const TaskDefaults&);
template <SpecEnum E>
std::string TypeName(const E&);
template <typename T>
std::string TypeName(const std::optional<T>&);
template <typename T>
std::string TypeName(const std::vector<T>&);
template <typename T>
requires requires(Rows& r, T& t) { Visit(r, t); }
std::string TypeName(const T&);

std::string TypeName(const bool&) { return "bool"; }
std::string TypeName(const int64_t&) { return "integer"; }
std::string TypeName(const double&) { return "number"; }
std::string TypeName(const std::string&) { return "string"; }
std::string TypeName(const Duration&) { return "duration"; }
std::string TypeName(const Megabytes&) { return "size (MB)"; }
std::string TypeName(const Extract&) { return "`auto` | `true` | `false`"; }
std::string TypeName(const Labels&) { return "mapping of strings"; }
std::string TypeName(const std::map<std::string, EnvVar>&) {
  return "mapping of NAME to a value or a mapping";
}
std::string TypeName(const Port&) { return "name or mapping"; }
std::string TypeName(const Dependency&) { return "task name or mapping"; }
std::string TypeName(const Constraint&) { return "`[field, OPERATOR, value]` or mapping"; }
std::string TypeName(const TaskDefaults&) { return "mapping of task keys"; }
template <SpecEnum E>
std::string TypeName(const E&) {
  std::string out;
  for (const auto& [value, name] : EnumTable<E>::kValues) {
    out += (out.empty() ? "`" : " | `") + std::string(name) + "`";
  }
  return out;
}
template <typename T>
std::string TypeName(const std::optional<T>&) {
  return TypeName(T{});
}
template <typename T>
std::string TypeName(const std::vector<T>&) {
  return "list of " + TypeName(T{});
}
template <typename T>
requires requires(Rows& r, T& t) { Visit(r, t); }
std::string TypeName(const T&) { return "mapping"; }

// One row per key, children after their parent.
class Rows {
 public:
  Rows(std::vector<KeyRow>& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}

  template <typename T>
  void Field(std::string_view key, T& member, const FieldInfo& info) {
    std::string path = prefix_ + std::string(key);
    out_.push_back(KeyRow{path, info.required, TypeName(member), std::string(info.def),
                          std::string(info.mesos), std::string(info.doc)});
    Children(member, path);
  }
  void Foreign(std::string_view, std::string_view) {}

 private:
  template <typename T>
  void Children(T&, const std::string&) {}
  template <typename T>
  requires requires(Rows& r, T& t) { Visit(r, t); }
  void Children(T& member, const std::string& path) {
    Rows child(out_, path + ".");
    Visit(child, member);
  }
  template <typename T>
  void Children(std::optional<T>&, const std::string& path) {
    T scratch{};
    Children(scratch, path);
  }
  template <typename T>
  void Children(std::vector<T>&, const std::string& path) {
    T scratch{};
    Children(scratch, path + "[]");
  }
  void Children(std::map<std::string, EnvVar>&, const std::string& path) {
    EnvVar scratch;
    Children(scratch, path + ".NAME");
  }
  void Children(TaskDefaults&, const std::string&) {}

  std::vector<KeyRow>& out_;
  std::string prefix_;
};

// A Markdown table cell: '|' would end the cell.
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

// Text for roff(7) in a man(7) page: backslashes escaped, a '.' or '\''
// that would open a line escaped, and Markdown's `code` in bold.
std::string Roff(std::string_view text) {
  std::string out;
  bool code = false;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '`') {
      out += code ? "\\fR" : "\\fB";
      code = !code;
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (code) out += "\\fR";
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

}  // namespace

std::vector<KeyRow> KeyRows() {
  std::vector<KeyRow> rows;
  Rows visitor(rows, "");
  Spec spec;
  TaskDefaults defaults;
  Visit(visitor, spec, defaults);
  return rows;
}

std::string ReferenceTables() {
  std::ostringstream out;
  out << "| key | type | default | becomes in Mesos | meaning |\n"
      << "|---|---|---|---|---|\n";
  for (const KeyRow& row : KeyRows()) {
    out << "| `" << row.path << "`" << (row.required ? " (required)" : "") << " | "
        << Cell(row.type) << " | " << Cell(row.def) << " | " << Cell(row.mesos) << " | "
        << Cell(row.doc) << " |\n";
  }
  return out.str();
}

std::string ReferenceManSection() {
  std::ostringstream out;
  for (const KeyRow& row : KeyRows()) {
    out << ".TP\n.B" << (row.required ? "R " : " ") << Roff(row.path)
        << (row.required ? " \" (required)\"" : "") << "\n"
        << Roff(row.doc) << ".\n.br\nType: " << Roff(row.type) << ".";
    if (!row.def.empty()) out << "\nDefault: " << Roff(row.def) << ".";
    if (!row.mesos.empty()) out << "\nIn Mesos: " << Roff(row.mesos) << ".";
    out << "\n";
  }
  return out.str();
}

}  // namespace mlaunch::spec

// HttpHeaders: the header fields of one HTTP request or response, shared by
// the HTTP client (http_client.h) and the HTTP server (http_server.h).
//
// Fields keep the order they were added in, and a name may repeat. Names
// compare case-insensitively (ASCII), as HTTP requires; values are kept
// byte for byte. Pure code, a plain value: no I/O, not synchronised.
#ifndef MLAUNCH_COMMON_HTTP_HEADERS_H_
#define MLAUNCH_COMMON_HTTP_HEADERS_H_

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlaunch {

// True when `a` and `b` are equal ignoring ASCII case.
inline bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

class HttpHeaders {
 public:
  struct Field {
    std::string name;
    std::string value;
    friend bool operator==(const Field&, const Field&) = default;
  };

  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<Field> fields) : fields_(fields) {}

  // Appends a field, keeping any others with the same name.
  void Add(std::string name, std::string value) {
    fields_.push_back({std::move(name), std::move(value)});
  }

  // Replaces every field named `name` with one field.
  void Set(std::string name, std::string value) {
    Remove(name);
    Add(std::move(name), std::move(value));
  }

  void Remove(std::string_view name) {
    std::erase_if(fields_, [&](const Field& f) { return EqualsIgnoringCase(f.name, name); });
  }

  // The value of the first field named `name`, if there is one.
  std::optional<std::string> Get(std::string_view name) const {
    for (const Field& f : fields_) {
      if (EqualsIgnoringCase(f.name, name)) return f.value;
    }
    return std::nullopt;
  }

  bool Has(std::string_view name) const { return Get(name).has_value(); }

  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }
  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

  friend bool operator==(const HttpHeaders&, const HttpHeaders&) = default;

 private:
  std::vector<Field> fields_;
};

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_HTTP_HEADERS_H_

// The parameters of a request target's query string, decoded:
// "/files/read?path=%2Fa%2Fb&offset=0" -> {path: "/a/b", offset: "0"}.
// '+' means a space, as in HTML forms (and in Mesos' own decoding). A name
// given twice keeps its first value; a name without '=' has the value "".
// Percent-decoding is libcurl's. Pure; thread-safe.
#ifndef MLAUNCH_COMMON_URL_QUERY_H_
#define MLAUNCH_COMMON_URL_QUERY_H_

#ifdef MLAUNCH_PURE_CORE
#error "a pure core does no I/O: the network stays in its program's run loop (docs/architecture.md)"
#endif

#include <map>
#include <string>
#include <string_view>

namespace mlaunch {

std::map<std::string, std::string> QueryParameters(std::string_view target);

// `text` percent-encoded for a query value (libcurl's escaping).
std::string QueryEscaped(std::string_view text);

}  // namespace mlaunch

#endif  // MLAUNCH_COMMON_URL_QUERY_H_

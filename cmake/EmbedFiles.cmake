# Run at build time (cmake -P, from cluster/CMakeLists.txt): writes OUT, the
# definition of FindStatusPageFile() (cluster/status_page.h), holding the
# files of DIR (the status page: index.html, status.css, status.js) as
# string literals, so the master serves them with nothing installed beside
# it. Each file becomes a raw string literal; a file holding the literal's
# closing delimiter stops the build.
set(entries "")
foreach(pair "index.html|/|text/html" "status.css|/status.css|text/css"
             "status.js|/status.js|text/javascript")
  string(REPLACE "|" ";" fields "${pair}")
  list(GET fields 0 file)
  list(GET fields 1 url)
  list(GET fields 2 type)
  file(READ "${DIR}/${file}" body)
  string(FIND "${body}" ")ml_page\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${DIR}/${file} holds ')ml_page\"', which ends the literal it is put in")
  endif()
  string(APPEND entries "    {\"${url}\", \"${type}\", R\"ml_page(${body})ml_page\"},\n")
endforeach()
set(text "// Written by cmake/EmbedFiles.cmake from cluster/status_page/; do not edit.
#include \"cluster/status_page.h\"

namespace mlaunch::cluster {

const StatusPageFile* FindStatusPageFile(std::string_view path) {
  static const StatusPageFile kFiles[] = {
${entries}  };
  for (const StatusPageFile& file : kFiles) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

}  // namespace mlaunch::cluster
")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()

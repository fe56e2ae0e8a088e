# Run at every build (cmake -P, from common/CMakeLists.txt): writes OUT, the
# definitions of common/build_info.h, with VERSION, the git commit of SOURCE_DIR
# ("unknown" outside a git tree; "+dirty" after it when tracked files have
# uncommitted changes) and BUILD_TYPE; and VERSION_FILE, the full version
# (ThisBuild().Full()) that the packages take as theirs (cmake/CPackVersion.cmake).
# Each file is rewritten only when its text changes, so a build of an
# unchanged tree relinks nothing.
set(commit "unknown")
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
                  OUTPUT_VARIABLE head RESULT_VARIABLE failed ERROR_QUIET
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT failed AND head MATCHES "^[0-9a-f]+$")
    set(commit "${head}")
    execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE changes ERROR_QUIET)
    if(NOT changes STREQUAL "")
      string(APPEND commit "+dirty")
    endif()
  endif()
endif()
set(text "// Written by cmake/WriteBuildInfo.cmake at build time; do not edit.
#include \"common/build_info.h\"

namespace mlaunch {

const BuildInfo& ThisBuild() {
  static const BuildInfo info{\"${VERSION}\", \"${commit}\", \"${BUILD_TYPE}\"};
  return info;
}

}  // namespace mlaunch
")
set(full "${VERSION}")
if(NOT commit STREQUAL "unknown")
  string(APPEND full "+git${commit}")
endif()

function(write_if_changed path text)
  set(old "")
  if(EXISTS ${path})
    file(READ ${path} old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE ${path} "${text}")
  endif()
endfunction()
write_if_changed(${OUT} "${text}")
write_if_changed(${VERSION_FILE} "${full}\n")

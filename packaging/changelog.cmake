# Run at build time (cmake -P, from packaging/CMakeLists.txt): writes OUT,
# the gzipped Debian changelog both packages carry (Debian's tools and
# lintian read usr/share/doc/PACKAGE/changelog.gz of a native package). One
# entry: the full version of VERSION_FILE, dated by the commit it names.
file(STRINGS ${VERSION_FILE} version LIMIT_COUNT 1)
set(date "")
find_program(GIT git)
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SOURCE_DIR} log -1 --format=%cD
                  OUTPUT_VARIABLE date RESULT_VARIABLE failed ERROR_QUIET
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(failed)
    set(date "")
  endif()
endif()
if(date STREQUAL "")
  string(TIMESTAMP date "%a, %d %b %Y %H:%M:%S +0000" UTC)
endif()
string(REGEX MATCH "git([0-9a-f]+)" commit "${version}")
if(commit)
  set(origin "commit ${CMAKE_MATCH_1} of the mesos-launch repository,
    whose git log is the history of changes")
  if(version MATCHES "\\+dirty$")
    string(APPEND origin ", with uncommitted changes")
  endif()
else()
  set(origin "a mesos-launch source tree outside git (its commit is
    unknown)")
endif()
set(text "mesos-launch (${version}) unstable; urgency=medium

  * Built from ${origin}.

 -- ${MAINTAINER}  ${date}
")
file(WRITE ${OUT}.txt "${text}")
execute_process(COMMAND gzip -9n -c ${OUT}.txt OUTPUT_FILE ${OUT} RESULT_VARIABLE failed)
if(failed)
  message(FATAL_ERROR "gzip failed to write ${OUT}")
endif()

# Shared build helpers: warning flags and the one way to declare a library.

set(ML_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                -Wconversion -Wno-sign-conversion)
if(ML_WERROR)
  list(APPEND ML_WARNINGS -Werror)
endif()

# ml_add_library(NAME SOURCES... [DEPS ...]): a static library of this folder
# with the project's warnings and the repository root on the include path.
function(ml_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${ML_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# ml_add_core_library(NAME SOURCES... [DEPS ...]): a pure core (docs/
# architecture.md, "Pure cores, one run loop each"): compiled with
# MLAUNCH_PURE_CORE, which makes the transport headers (HTTP server and
# clients, ZooKeeper) refuse to be included, and given no library that does
# I/O, so a test program that links only the core cannot call one either.
function(ml_add_core_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  ml_add_library(${name} SOURCES ${ARG_SOURCES} DEPS ${ARG_DEPS})
  target_compile_definitions(${name} PRIVATE MLAUNCH_PURE_CORE)
endfunction()

# ml_add_program(NAME SOURCES... [DEPS ...]): an executable placed in bin/.
function(ml_add_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${ML_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# A program whose ML_STATIC property is on is linked fully static (only
# mesos-launch-executor: it must run on any Linux agent, with no library
# installed). The libraries on its way link a third-party library through
# ml_link_either(TARGET SCOPE SHARED target... STATIC archive...): the
# imported SHARED targets for every other program, the STATIC archives
# (found by ml_find_archive) for a static one. The choice is made for the
# program being linked, through the static libraries in between.
function(ml_link_either target scope)
  cmake_parse_arguments(ARG "" "" "SHARED;STATIC" ${ARGN})
  set(static_only "$<BOOL:$<TARGET_PROPERTY:ML_STATIC>>")
  set(items "")
  foreach(shared ${ARG_SHARED})
    list(APPEND items "$<$<NOT:${static_only}>:${shared}>")
  endforeach()
  foreach(archive ${ARG_STATIC})
    list(APPEND items "$<${static_only}:${archive}>")
  endforeach()
  target_link_libraries(${target} ${scope} ${items})
endfunction()

# ml_find_archive(VAR NAME PACKAGE): the path of the static library
# libNAME.a, or a configure error naming the Debian PACKAGE that ships it.
function(ml_find_archive var name package)
  find_library(${var} NAMES lib${name}.a)
  if(NOT ${var})
    message(FATAL_ERROR "lib${name}.a not found: mesos-launch-executor is linked statically "
                        "(install ${package}, or configure with -DML_STATIC_EXECUTOR=OFF)")
  endif()
endfunction()

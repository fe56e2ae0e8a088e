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

# ml_add_program(NAME SOURCES... [DEPS ...]): an executable placed in bin/.
function(ml_add_program name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${ML_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
endfunction()

# Read by cpack (CPACK_PROJECT_CONFIG_FILE) when it makes the packages: their
# version is the full version of the programs they hold, which the build
# wrote to build/version.txt (cmake/WriteBuildInfo.cmake), so the commit in
# `mesos-launch --version` and in `dpkg -s mesos-launch` is the same.
if(NOT EXISTS "${CPACK_ML_VERSION_FILE}")
  message(FATAL_ERROR "${CPACK_ML_VERSION_FILE} is missing: build the project before cpack")
endif()
file(STRINGS "${CPACK_ML_VERSION_FILE}" ml_version LIMIT_COUNT 1)
set(CPACK_PACKAGE_VERSION "${ml_version}")
set(CPACK_DEBIAN_PACKAGE_VERSION "${ml_version}")
# mesos-launch runs the executor installed beside it: the same build.
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "mesos-launch-executor (= ${ml_version})")

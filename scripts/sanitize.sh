#!/usr/bin/env bash
# Builds and runs the tests under a sanitizer (the presets in
# CMakePresets.json; warnings are errors):
#
#   scripts/sanitize.sh asan   ASan + UBSan (clang, -O2 -g; the build the
#                              fuzzers share), every test (ctest), any report
#                              fails it (-fno-sanitize-recover=all, leaks on)
#   scripts/sanitize.sh tsan   TSan, the threaded transports CI checks: the
#                              HTTP server (Beast threads) and the curl client
#                              (common_tests), the executor's agent client,
#                              its HTTP service and the executor binary
#                              (executor_tests)
#   scripts/sanitize.sh tsan-all   also the master client and driver
#                              (launcher_tests) and the cluster's agents
#                              (cluster_tests); twice the build, not in CI
#
# The tsan preset (GCC, -O1 -g) adds -Wno-maybe-uninitialized: GCC 12
# reports false "may be used uninitialized" in libstdc++'s <regex> and
# <functional> once TSan instruments them; every other warning stays an
# error. It also adds -Wno-tsan: Boost.Asio uses std::atomic_thread_fence,
# which TSan does not model (GCC warns); a false report it would cause goes
# to tests/sanitizers/tsan.supp, naming Boost.Asio.
# CTEST_PARALLEL (default: nproc) sets ctest -j.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitize.sh asan|tsan}"
jobs="${CTEST_PARALLEL:-$(nproc)}"

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
preset="${kind%-all}"
cmake --preset "$preset" "${launcher[@]}" >/dev/null
dir="build-$preset"

case "$kind" in
  asan)
    cmake --build "$dir" -j "$(nproc)"
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300
    ;;
  tsan|tsan-all)
    # Suites whose code runs on more than one thread (Beast's server threads,
    # curl transfers beside the caller, the agents' reaper threads).
    targets=(common_tests executor_tests mesos-launch-executor)
    suites='HttpServer|CurlHttpClient|CurlHttpClientAgainstServer'
    suites+='|AgentClient|HttpService|HttpServiceRoot|ExecutorBinary'
    if [ "$kind" = tsan-all ]; then
      targets+=(launcher_tests cluster_tests mesos-launch-cluster)
      suites+='|MasterClient|Driver|AgentTest|AgentRecoveryTest|AgentWithMasterTest'
    fi
    cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" \
      --timeout 300 -R "^($suites)\."
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan|tsan-all" >&2
    exit 2
    ;;
esac

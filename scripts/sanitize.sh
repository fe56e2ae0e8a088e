#!/usr/bin/env bash
# Builds and runs the tests under a sanitizer (the presets in
# CMakePresets.json; warnings are errors):
#
#   scripts/sanitize.sh asan   ASan + UBSan (clang, -O1 -gline-tables-only,
#                              assertions on: no NDEBUG; the build the
#                              fuzzers share), every test (ctest), any
#                              report fails it (-fno-sanitize-recover=all,
#                              leaks on)
#   scripts/sanitize.sh tsan   TSan (GCC, -O1 -g1), every test of the test
#                              programs labelled `threaded` (common_tests,
#                              executor_tests, launcher_tests, cluster_tests,
#                              detect_tests, tls_tests) and the programs
#                              they start; only those are built
#
# The tsan preset adds -Wno-maybe-uninitialized: GCC 12 reports false "may
# be used uninitialized" in libstdc++'s <regex> and <functional> once TSan
# instruments them; every other warning stays an error. It also adds
# -Wno-tsan: Boost.Asio uses std::atomic_thread_fence, which TSan does not
# model (GCC warns); a false report it would cause goes to
# tests/sanitizers/tsan.supp, naming Boost.Asio.
# CTEST_PARALLEL (default: nproc) sets ctest -j.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:?usage: scripts/sanitize.sh asan|tsan}"
jobs="${CTEST_PARALLEL:-$(nproc)}"

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
case "$kind" in
  asan | tsan) ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan" >&2
    exit 2
    ;;
esac
cmake --preset "$kind" "${launcher[@]}" >/dev/null
dir="build-$kind"

case "$kind" in
  asan)
    cmake --build "$dir" -j "$(nproc)"
    # The contract checks of common/status.h run only with assertions on;
    # their death tests exist only then (tests/common/status_test.cc).
    if ! ctest --test-dir "$dir" -N -R '^StatusContractDeathTest\.' | grep -q 'Total Tests: [1-9]'; then
      echo "sanitize: the asan build has assertions off (NDEBUG): the contract checks would not run" >&2
      exit 1
    fi
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300
    ;;
  tsan)
    # The test programs labelled `threaded` (tests/CMakeLists.txt); their
    # dependencies bring the three programs, built with TSan too.
    targets=(common_tests executor_tests launcher_tests cluster_tests detect_tests tls_tests)
    cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/sanitizers/tsan.supp"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300 -L threaded --no-tests=error
    ;;
esac

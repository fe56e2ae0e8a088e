#!/usr/bin/env bash
# Sets up, builds and runs every test: unit and golden tests (ctest), the
# specs and examples through --check, and the five libFuzzer targets; with
# SANITIZE=1 also the whole suite under ASan + UBSan and the threaded
# transports under TSan.
# FUZZ_SECONDS (default 60) bounds each fuzzer's run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DML_WERROR=ON >/dev/null
cmake --build build -j "$(nproc)"

echo "== checking specs/ and examples/"
build/bin/mesos-launch --check specs/*.yaml examples/*.yaml

echo "== unit tests"
ctest --test-dir build --output-on-failure -j "$(nproc)"

echo "== fuzzing, ${FUZZ_SECONDS:-60}s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

# The sanitizer suites (scripts/sanitize.sh asan|tsan) are not run here yet:
# with them a clean run would pass CI's 30 minutes on this 2-core machine
# (docs/reliability.md). Run them by hand until they are made to fit.
if [ "${SANITIZE:-0}" = 1 ]; then
  echo "== every test under ASan + UBSan"
  scripts/sanitize.sh asan
  echo "== the threaded transports under TSan"
  scripts/sanitize.sh tsan
fi

#!/usr/bin/env bash
# Sets up, builds and runs every test: unit and golden tests (ctest), the
# specs and examples through --check, the five libFuzzer targets, the whole
# suite under ASan + UBSan and the threaded transports under TSan.
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

echo "== every test under ASan + UBSan"
scripts/sanitize.sh asan

echo "== the threaded transports under TSan"
scripts/sanitize.sh tsan

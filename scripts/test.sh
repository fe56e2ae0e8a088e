#!/usr/bin/env bash
# Sets up, builds and runs every test, as CI does:
#   1. one build with clang under ASan + UBSan (the `asan` preset, in
#      build-asan): the programs, every test and the fuzzers;
#   2. every test (ctest) under those sanitizers;
#   3. the specs and examples through --check;
#   4. the five libFuzzer targets, FUZZ_SECONDS (default 60) each;
#   5. the threaded transports under TSan (the `tsan` preset, build-tsan).
# For a quick edit-test loop use a plain build instead (README).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== every test under ASan + UBSan"
scripts/sanitize.sh asan

echo "== checking specs/ and examples/"
build-asan/bin/mesos-launch --check specs/*.yaml examples/*.yaml

echo "== fuzzing, ${FUZZ_SECONDS:-60}s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}"

echo "== the threaded transports under TSan"
scripts/sanitize.sh tsan

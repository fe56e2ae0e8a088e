#!/usr/bin/env bash
# Sets up, builds and runs every test, as CI does:
#   1. the README's build (build/: GCC, RelWithDebInfo), every target,
#      warnings as errors (scripts/build.sh --werror); every C++ file in
#      the house format (scripts/format.sh --check) and the production
#      sources lint-free (scripts/lint.sh: clang-tidy);
#   2. the static executor checked as agents get it (ctest -L static), the
#      .deb packages made, checked by lintian, unpacked and run as a user
#      gets them (ctest -L package), tasks in container images through
#      podman (ctest -L container), the status page in headless Chromium
#      (ctest -L browser), and the README's first command run as a person
#      does (scripts/smoke.sh);
#   3. one build with clang under ASan + UBSan, assertions on (the `asan`
#      preset, in build-asan): the programs, every test and the fuzzers;
#      every test (ctest) under those sanitizers;
#   4. the specs and examples through --check;
#   5. the five libFuzzer targets, FUZZ_SECONDS (default 30) each (their
#      corpora are also replayed by ctest in stage 3);
#   6. every test program labelled `threaded` under TSan (the `tsan`
#      preset, build-tsan).
# Each stage prints how long it took. For a quick edit-test loop use a plain
# build instead (README).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$SECONDS
stage() {
  echo "== [$(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s] $1"
}

stage "setup"
scripts/setup.sh

stage "the README's build: every target, GCC, warnings as errors"
scripts/build.sh --werror

stage "the house format (clang-format) and lint (clang-tidy)"
scripts/format.sh --check
scripts/lint.sh

stage "the executor as agents get it: static, runs in an empty root"
ctest --test-dir build -L static --no-tests=error --output-on-failure

stage "the .deb packages: made, checked by lintian, installed and run"
ctest --test-dir build -L package --no-tests=error --output-on-failure

stage "tasks in container images (podman), the static executor inside"
ctest --test-dir build -L container --no-tests=error --output-on-failure

stage "the status page in a real browser (headless Chromium)"
ctest --test-dir build -L browser --no-tests=error --output-on-failure

stage "the README's run command, as a person runs it"
scripts/smoke.sh

stage "every test under ASan + UBSan, assertions on"
scripts/sanitize.sh asan

stage "checking specs/ and examples/"
build-asan/bin/mesos-launch --check specs/*.yaml examples/*.yaml

stage "fuzzing, ${FUZZ_SECONDS:-30}s per target"
scripts/fuzz.sh "${FUZZ_SECONDS:-30}"

stage "the threaded test programs under TSan"
scripts/sanitize.sh tsan

stage "all passed"

#!/usr/bin/env bash
# Builds the libFuzzer target for the spec loader with clang (ASan + UBSan)
# and runs it for N seconds (default 60) from the spec corpus. Any crash,
# leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DML_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target spec_load_fuzz

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
cp specs/*.yaml examples/*.yaml tests/data/specs/bad/*.yaml tests/data/specs/good/*.yaml tests/data/specs/fuzz/*.yaml "$corpus"/ 2>/dev/null || true
build-fuzz/tests/fuzz/spec_load_fuzz -max_total_time="$seconds" -max_len=4096 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" 2>&1 | tail -n 15

#!/usr/bin/env bash
# Builds the libFuzzer targets (the `asan` preset: clang, ASan + UBSan, in
# build-asan, beside the tests built there) and runs each for N
# seconds (default 60), starting from its seeds in tests/fuzz/corpus/TARGET/
# (the spec loader also from every spec in the tree). The run works on a
# copy of the seeds, so the tree is left as it was. Any crash, leak, hang or
# sanitizer report fails the run; libFuzzer's final stats are printed
# (stat::number_of_executed_units: inputs tried).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(spec_load recordio event_stream http_request master_call)
fi

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake --preset asan "${launcher[@]}" >/dev/null
cmake --build build-asan -j "$(nproc)" --target "${targets[@]/%/_fuzz}"

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT

# One fuzzer per core at a time (FUZZ_JOBS, default nproc): each still runs
# its full time, the stage takes less wall time.
jobs="${FUZZ_JOBS:-$(nproc)}"

# Runs one target; its log goes to a file so that a failure shows its whole
# report, a success only the stats. -timeout: one input taking 10 s is a hang.
fuzz_one() {
  local target="$1"
  mkdir "$corpus/$target"
  cp tests/fuzz/corpus/"$target"/* "$corpus/$target"/
  if [ "$target" = spec_load ]; then
    # Named by their path, so that two folders may hold the same file name.
    for spec in specs/*.yaml examples/*.yaml tests/data/specs/{bad,good,fuzz}/*.yaml tests/data/plans/*.yaml; do
      cp "$spec" "$corpus/$target/${spec//\//_}"
    done
  fi
  build-asan/tests/fuzz/"${target}_fuzz" -max_total_time="$seconds" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus/$target" \
    >"$corpus/$target.log" 2>&1
}

failed=0
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  batch=("${targets[@]:i:jobs}")
  pids=()
  for target in "${batch[@]}"; do
    echo "== fuzzing ${target}_fuzz for ${seconds}s"
    fuzz_one "$target" &
    pids+=($!)
  done
  for j in "${!batch[@]}"; do
    target="${batch[$j]}"
    if wait "${pids[$j]}"; then
      echo "-- ${target}_fuzz:"
      grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' \
        "$corpus/$target.log" || tail -n 5 "$corpus/$target.log"
    else
      cat "$corpus/$target.log"
      echo "fuzz: ${target}_fuzz failed" >&2
      failed=1
    fi
  done
done
exit "$failed"

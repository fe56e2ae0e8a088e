#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for N
# seconds (default 60): the spec loader from the spec corpus, the RecordIO
# decoder from a few framed streams, and event streams (RecordIO records
# parsed as Mesos events) from the reference's wire examples. Any crash,
# leak or sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DML_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target spec_load_fuzz recordio_fuzz event_stream_fuzz

corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT

# fuzz TARGET NAME: runs build-fuzz/tests/fuzz/TARGET on $corpus/NAME.
fuzz() {
  build-fuzz/tests/fuzz/"$1" -max_total_time="$seconds" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus/$2" 2>&1 | tail -n 15
}

echo "== fuzzing the spec loader for ${seconds}s"
mkdir "$corpus/spec"
cp specs/*.yaml examples/*.yaml tests/data/specs/bad/*.yaml tests/data/specs/good/*.yaml tests/data/specs/fuzz/*.yaml "$corpus/spec"/ 2>/dev/null || true
fuzz spec_load_fuzz spec

echo "== fuzzing the RecordIO decoder for ${seconds}s"
mkdir "$corpus/recordio"
# The fuzzer reads its settings from the last bytes; the stream comes first.
printf '5\nhello6\nworld!\x00\x00\x00\x00\x10\x00\x10\x00' >"$corpus/recordio/two-records"
printf '2\n\x08\x0820\n{"type":"HEARTBEAT"}\x05\x01\x02\x03\x04\x00' >"$corpus/recordio/heartbeats"
printf '0\n0\n3\nabc\x01\x07\x07\x07\x07\x01' >"$corpus/recordio/empty-records"
fuzz recordio_fuzz recordio

echo "== fuzzing event streams for ${seconds}s"
mkdir "$corpus/events"
# A scheduler HEARTBEAT, an executor HEARTBEAT, and a SUBSCRIBED with a framework id.
printf '2\n\x08\x08' >"$corpus/events/scheduler-heartbeat"
printf '2\n\x08\x09' >"$corpus/events/executor-heartbeat"
printf '13\n\x08\x01\x12\x09\x0a\x05\x0a\x03\x66\x77\x31\x11\x00' >"$corpus/events/subscribed"
fuzz event_stream_fuzz events

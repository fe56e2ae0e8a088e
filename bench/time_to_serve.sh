#!/usr/bin/env bash
# Time to serve: from starting `mesos-launch specs/webserver.yaml` (embedded
# cluster) to the first 200 from the service's URL, over RUNS runs; and the
# floor next to it: from starting bench/serve_floor (the same built-in HTTP
# service, linked like the executor, with no Mesos in between) to its first
# 200. Both are polled from outside with curl every 5 ms and timed with
# `date +%s%N`, rounds alternating.
#
# The URL's port is dynamic: it is read from the "LAUNCHED on HOST http=PORT"
# line as soon as it appears, and polled from then on; the time of that line
# splits the total into "to LAUNCHED" (cluster up, subscribed, offer,
# ACCEPT) and "LAUNCHED to 200" (executor fetched, started, registered,
# service bound).
#
# Usage: bench/time_to_serve.sh [BIN_DIR]   (env: RUNS=10)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$(cd "${1:-$here/../build-bench/bin}" && pwd)"
spec="$here/../specs/webserver.yaml"
runs=${RUNS:-10}
work=$(mktemp -d /tmp/ml-bench-tts.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  remove_sandboxes "$work/launch.log"
  rm -rf "$work"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true; }

# One mesos-launch run: prints "total_ms launched_ms".
run_launch() {
  local start launched="" url="" line end
  start=$(now_ns)
  "$bin/mesos-launch" "$spec" --duration 1h >"$work/launch.log" 2>&1 &
  pid=$!
  while :; do
    if [ -z "$url" ]; then
      line=$(grep -m1 -oE 'LAUNCHED on [^ ]+ http=[0-9]+' "$work/launch.log" || true)
      if [ -n "$line" ]; then
        launched=$(now_ns)
        url="http://$(awk '{print $3}' <<<"$line"):${line##*=}/"
      fi
    fi
    if [ -n "$url" ] && [ "$(code "$url")" = 200 ]; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then echo "mesos-launch ended:" >&2; cat "$work/launch.log" >&2; exit 1; fi
    if [ $(( ($(now_ns) - start) / 1000000000 )) -gt 60 ]; then echo "no 200 within 60 s" >&2; exit 1; fi
    sleep 0.005
  done
  end=$(now_ns)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  remove_sandboxes "$work/launch.log"
  echo "$(( (end - start) / 1000 ))e-3 $(( (launched - start) / 1000 ))e-3"
}

# One serve_floor run: prints "total_ms".
run_floor() {
  local port start end
  port=$(free_port)
  start=$(now_ns)
  "$bin/serve_floor" "$port" >"$work/floor.log" 2>&1 &
  pid=$!
  until [ "$(code "http://127.0.0.1:$port/")" = 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "serve_floor ended:" >&2; cat "$work/floor.log" >&2; exit 1; fi
    sleep 0.005
  done
  end=$(now_ns)
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  echo "$(( (end - start) / 1000 ))e-3"
}


load_line
printf '%-4s %12s %14s %16s %12s\n' run "launch ms" "to LAUNCHED" "LAUNCHED to 200" "floor ms"
: >"$work/rows"
for r in $(seq "$runs"); do
  read -r total launched < <(run_launch)
  floor=$(run_floor)
  awk -v r="$r" -v t="$total" -v l="$launched" -v f="$floor" \
    'BEGIN{printf "%-4s %12.1f %14.1f %16.1f %12.1f\n", r, t, l, t-l, f}' | tee -a "$work/rows"
done
stat() { awk -v c="$1" '{print $c}' "$work/rows" | "$2" ${3:-}; }
echo
printf '%-8s %12.1f %14.1f %16.1f %12.1f\n' median "$(stat 2 median)" "$(stat 3 median)" \
  "$(stat 4 median)" "$(stat 5 median)"
printf '%-8s %12.1f %14.1f %16.1f %12.1f\n' p90 "$(stat 2 percentile 90)" "$(stat 3 percentile 90)" \
  "$(stat 4 percentile 90)" "$(stat 5 percentile 90)"
load_line

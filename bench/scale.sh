#!/usr/bin/env bash
# Scale: N instances of the classic web server (real executors, the built-in
# HTTP service), for each N in SIZES, on a mesos-launch-cluster of AGENTS
# agents that offer more than this machine has (cpus:32 each), as a user
# would run many small services on one box. Executors are run in place
# (executor.command, the built binary), as on a cluster where they are
# installed: nothing is fetched.
#
# For each N, from starting mesos-launch: seconds until every instance is
# RUNNING, and until every URL answers 200; RSS of all executors (total and
# per instance), of mesos-launch and of the cluster; mesos-launch's CPU
# seconds; seconds to stop (SIGINT to mesos-launch until it exits) and the
# executors left after it. One row per N; bench/scale_plot.sh draws them.
#
# With AGENTS above 1 each agent has room for a little more than its share,
# so that the instances spread over all of them.
#
# Usage: bench/scale.sh [BIN_DIR]   (env: SIZES="1 10 100 300 1000" AGENTS=1
#        TIMEOUT=120 OUT=FILE for the rows)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$(cd "${1:-$here/../build-bench/bin}" && pwd)"
sizes=${SIZES:-"1 10 100 300 1000"}
agents=${AGENTS:-1}
timeout=${TIMEOUT:-120}
out=${OUT:-/dev/null}
[ "$out" = /dev/null ] || : >"$out"
work=$(mktemp -d /tmp/ml-bench-scale.XXXXXX)
cluster_pid="" launch_pid=""
cleanup() {
  local pid
  for pid in $launch_pid $cluster_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
seconds_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN {printf "%.2f", (b - a) / 1000}'; }
count() { grep -cE "$1" "$work/launch.log" 2>/dev/null || true; }
executors() { descendants_named "$cluster_pid" mesos-launch-ex | xargs; }

run_size() {
  local n=$1 start running serving urls rss_exec rss_launch rss_cluster cpu stop left
  rm -rf "$work/cluster" && mkdir -p "$work/cluster"
  # One agent: room for far more than N. Several: each with room for a
  # little more than its share, so that the instances spread over all of
  # them (the scheduler fills one offer before the next).
  local cpus=32
  [ "$agents" -gt 1 ] && cpus=$(awk -v n="$n" -v a="$agents" 'BEGIN {printf "%.2f", n * 0.02 / a * 1.1 + 0.1}')
  "$bin/mesos-launch-cluster" --port 0 --agents "$agents" \
    --agent-resources "cpus:$cpus;mem:65536;disk:100000;ports:[20000-29999]" \
    --work-dir "$work/cluster" >"$work/cluster.log" 2>&1 &
  cluster_pid=$!
  local line
  line=$(wait_for_line "$work/cluster.log" 30 'master listening on http://[0-9.:]+') ||
    { echo "the cluster did not start:" >&2; cat "$work/cluster.log" >&2; exit 1; }
  local master
  master=$(grep -oE 'http://[0-9.:]+' <<<"$line")
  cat >"$work/web.yaml" <<SPEC
version: 1
tasks:
  - name: web
    instances: $n
    resources: { cpus: 0.01, mem: 8 }
    executor:
      command: $bin/mesos-launch-executor
      resources: { cpus: 0.01, mem: 16 }
    ports:
      - name: http
    service:
      type: http
      port: http
      payload: "Hello from Server"
SPEC
  start=$(now_ms)
  # One JSON event a line: the text output sums up a task of many instances.
  "$bin/mesos-launch" --master "$master" --executor-from-path --output json "$work/web.yaml" \
    >"$work/launch.log" 2>"$work/launch.err" &
  launch_pid=$!
  until [ "$(count '"RUNNING on ')" -ge "$n" ]; do
    kill -0 "$launch_pid" 2>/dev/null ||
      { echo "mesos-launch ended:" >&2; tail -20 "$work/launch.log" "$work/launch.err" >&2; exit 1; }
    if [ $(( $(now_ms) - start )) -gt $(( timeout * 1000 )) ]; then
      echo "N=$n: $(count '"RUNNING on ') of $n RUNNING after ${timeout}s" >&2
      tail -5 "$work/launch.log" >&2
      exit 1
    fi
    # Every 50 ms for small runs; less often at scale, where the polling
    # (a grep of a growing log) would take CPU from what is measured.
    sleep "$( [ "$n" -le 100 ] && echo 0.05 || echo 0.2 )"
  done
  running=$(seconds_since "$start")
  grep -oE 'LAUNCHED on [^ ]+ http=[0-9]+' "$work/launch.log" |
    awk '{split($4, p, "="); print "http://" $3 ":" p[2] "/"}' | sort -u >"$work/urls"
  urls=$(wc -l <"$work/urls")
  # Every URL asked again until it answers 200 (64 at a time): curl per URL
  # would measure curl, not the services, at N=1000.
  python3 - "$work/urls" "$(( timeout * 1000 - ($(now_ms) - start) ))" <<'PY' ||
import concurrent.futures, sys, time, urllib.request
urls = [line.strip() for line in open(sys.argv[1]) if line.strip()]
deadline = time.monotonic() + int(sys.argv[2]) / 1000
def wait_200(url):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.02)
    return False
with concurrent.futures.ThreadPoolExecutor(64) as pool:
    ok = sum(pool.map(wait_200, urls))
if ok < len(urls):
    sys.exit(f"{ok} of {len(urls)} URLs answer 200 before the deadline")
PY
    { echo "N=$n: not every URL answered 200 within ${timeout}s" >&2; exit 1; }
  [ "$urls" -ge "$n" ] || { echo "N=$n: only $urls URLs in the log" >&2; exit 1; }
  serving=$(seconds_since "$start")
  # shellcheck disable=SC2046
  rss_exec=$(rss_kib $(executors))
  rss_launch=$(rss_kib "$launch_pid")
  rss_cluster=$(rss_kib "$cluster_pid")
  cpu=$(awk -v t="$(cpu_ticks "$launch_pid")" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.2f", t / hz}')
  local stop_start
  stop_start=$(now_ms)
  kill -INT "$launch_pid"
  wait "$launch_pid" 2>/dev/null || true
  launch_pid=""
  stop=$(seconds_since "$stop_start")
  left=$(executors | wc -w)
  kill "$cluster_pid"
  wait "$cluster_pid" 2>/dev/null || true
  cluster_pid=""
  printf '%6s %9s %9s %11s %9s %11s %11s %8s %8s %5s\n' "$n" "$running" "$serving" \
    "$rss_exec" "$((rss_exec / n))" "$rss_launch" "$rss_cluster" "$cpu" "$stop" "$left" |
    tee -a "$out"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; agents: $agents;" \
  "date: $(date -u +%Y-%m-%dT%H:%MZ)"
load_line
printf '%6s %9s %9s %11s %9s %11s %11s %8s %8s %5s\n' N "RUNNING s" "200 s" \
  "exec KiB" "KiB/inst" "launch KiB" "cluster KiB" "CPU s" "stop s" left
for n in $sizes; do run_size "$n"; done
load_line

#!/usr/bin/env bash
# Scale beyond one machine's processes: mesos-launch (the real program) on a
# spec of N instances of the classic web server, against sim_cluster: the
# embedded master with AGENTS stand-in agents that run nothing and answer
# each launch with TASK_STARTING then TASK_RUNNING (bench/sim_cluster.cc).
#
# For each N in SIZES, from starting mesos-launch: seconds until every
# instance is RUNNING; status updates handled per second; mesos-launch's RSS
# and CPU seconds; the failover state file's size. Then mesos-launch is
# SIGKILLed and started again on the same state directory: seconds until it
# has adopted every task (each reported RUNNING again by reconciliation),
# and the launches it made (must be 0: nothing launched twice). Then SIGINT,
# seconds until every task is killed and mesos-launch has exited.
#
# Usage: bench/sim_scale.sh [BIN_DIR]   (env: SIZES="1000 10000" AGENTS=1000
#        TIMEOUT=120)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$(cd "${1:-$here/../build-bench/bin}" && pwd)"
sizes=${SIZES:-"1000 10000"}
agents=${AGENTS:-1000}
timeout=${TIMEOUT:-120}
work=$(mktemp -d /tmp/ml-bench-sim.XXXXXX)
sim_pid="" launch_pid=""
cleanup() {
  local pid
  for pid in $launch_pid $sim_pid; do
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
seconds_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN {printf "%.2f", (b - a) / 1000}'; }
# Lines of the JSON event stream whose text starts with $2.
count() { grep -c "\"text\":\"$2" "$1" 2>/dev/null || true; }

# Waits until file $1 has $3 events starting with $2; fails after the timeout.
wait_count() {
  local file=$1 prefix=$2 want=$3 start=$4
  until [ "$(count "$file" "$prefix")" -ge "$want" ]; do
    kill -0 "$launch_pid" 2>/dev/null ||
      { echo "mesos-launch ended:" >&2; tail -5 "$file" "$work/launch.err" >&2; exit 1; }
    if [ $(( $(now_ms) - start )) -gt $(( timeout * 1000 )) ]; then
      echo "$(count "$file" "$prefix") of $want '$prefix' after ${timeout}s" >&2
      exit 1
    fi
    sleep 0.1
  done
}

launch() {  # launch OUT: mesos-launch in the background, JSON events to OUT
  "$bin/mesos-launch" --master "$master" --executor-from-path --state-dir "$work/state" \
    --output json "$work/web.yaml" >"$1" 2>>"$work/launch.err" &
  launch_pid=$!
}

run_size() {
  local n=$1 start running rate rss cpu state_bytes adopt relaunched stop
  rm -rf "$work/state" && : >"$work/launch.err"
  "$bin/sim_cluster" "$agents" >"$work/sim.log" 2>&1 &
  sim_pid=$!
  local line
  line=$(wait_for_line "$work/sim.log" 30 'master listening on http://[0-9.:]+') ||
    { echo "sim_cluster did not start:" >&2; cat "$work/sim.log" >&2; exit 1; }
  master=$(grep -oE 'http://[0-9.:]+' <<<"$line")
  cat >"$work/web.yaml" <<SPEC
version: 1
framework: { name: sim-web, failover_timeout: 1h }
tasks:
  - name: web
    instances: $n
    resources: { cpus: 0.01, mem: 8 }
    executor:
      command: mesos-launch-executor
      resources: { cpus: 0.01, mem: 16 }
    ports:
      - name: http
    service:
      type: http
      port: http
      payload: "Hello from Server"
SPEC
  start=$(now_ms)
  launch "$work/first.json"
  wait_count "$work/first.json" "RUNNING on" "$n" "$start"
  running=$(seconds_since "$start")
  # Every task: STARTING and RUNNING, each received and acknowledged.
  rate=$(awk -v n="$n" -v s="$running" 'BEGIN {printf "%.0f", 2 * n / s}')
  rss=$(rss_kib "$launch_pid")
  cpu=$(awk -v t="$(cpu_ticks "$launch_pid")" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {printf "%.2f", t / hz}')
  # The state of the last save (at most a second behind; see docs/benchmarks.md).
  sleep 1.5
  state_bytes=$(stat -c %s "$work"/state/*.json)

  kill -9 "$launch_pid"
  wait "$launch_pid" 2>/dev/null || true
  start=$(now_ms)
  launch "$work/second.json"
  wait_count "$work/second.json" "RUNNING on" "$n" "$start"
  adopt=$(seconds_since "$start")
  relaunched=$(count "$work/second.json" "LAUNCHED")

  start=$(now_ms)
  kill -INT "$launch_pid"
  wait "$launch_pid" 2>/dev/null || true
  launch_pid=""
  stop=$(seconds_since "$start")
  kill "$sim_pid"
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=""
  local launched
  launched=$(grep -oE 'tasks launched: [0-9]+' "$work/sim.log" | grep -oE '[0-9]+$')
  [ "$launched" = "$n" ] || { echo "N=$n: the agents saw $launched launches" >&2; exit 1; }
  printf '%6s %7s %9s %11s %8s %9s %10s %7s %10s %7s\n' "$n" "$agents" "$running" "$rate" \
    "$rss" "$cpu" "$state_bytes" "$adopt" "$relaunched" "$stop"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB;" \
  "date: $(date -u +%Y-%m-%dT%H:%MZ)"
load_line
printf '%6s %7s %9s %11s %8s %9s %10s %7s %10s %7s\n' N agents "RUNNING s" "updates/s" \
  "RSS KiB" "CPU s" "state B" "adopt s" relaunched "stop s"
for n in $sizes; do run_size "$n"; done
load_line

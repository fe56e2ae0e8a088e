#!/usr/bin/env bash
# Footprint while idle: RSS and CPU of `mesos-launch` and of one executor
# running specs/webserver.yaml, sampled over IDLE seconds (default 60) once
# the service is serving. Two runs:
#   external: against a separate mesos-launch-cluster, so mesos-launch's
#             figure holds the scheduler (and the executor it serves) only;
#   embedded: no --master, so mesos-launch's figure holds the cluster too.
# RSS is /proc/PID/status VmRSS at the end (and VmHWM, the peak); CPU is
# utime+stime from /proc/PID/stat over the window, as % of one core.
# Then the RSS by mapping (smaps), largest first: the executor's, and
# mesos-launch's in each mode.
#
# Usage: bench/footprint.sh [BIN_DIR]   (env: IDLE=60)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$(cd "${1:-$here/../build-bench/bin}" && pwd)"
spec="$here/../specs/webserver.yaml"
idle=${IDLE:-60}
hz=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/ml-bench-fp.XXXXXX)
launch_pid="" cluster_pid=""
cleanup() {
  if [ -n "$launch_pid" ]; then kill "$launch_pid" 2>/dev/null || true; wait "$launch_pid" 2>/dev/null || true; fi
  if [ -n "$cluster_pid" ]; then kill "$cluster_pid" 2>/dev/null || true; wait "$cluster_pid" 2>/dev/null || true; fi
  remove_sandboxes "$work/launch.log"
  remove_sandboxes "$work/cluster.log"
  rm -rf "$work"
}
trap cleanup EXIT

# Pss: RSS with shared pages divided among their sharers; Private: pages no
# other process maps (/proc/PID/smaps_rollup), in KiB.
rollup() { awk -v re="^($2):\$" '$1 ~ re {t += $2} END {print t}' "/proc/$1/smaps_rollup"; }
field() { awk -v f="$2:" '$1==f{print $2}' "/proc/$1/status"; }

# by_mapping PID: resident KiB per mapped file (or [anon], [heap]), top 15.
by_mapping() {
  awk '/^[0-9a-f]+-[0-9a-f]+ /{name=($6=="" ? "[anon]" : $6)} /^Rss:/{rss[name]+=$2}
       END{for (n in rss) if (rss[n] > 0) printf "%8d  %s\n", rss[n], n}' \
    "/proc/$1/smaps" | sort -rn | awk 'NR <= 15'
}

# measure LABEL PID...: one line per PID after `idle` seconds.
measure() {
  local -a pids=("$@") before=()
  local pid i=0
  for pid in "${pids[@]}"; do before+=("$(cpu_ticks "$pid")"); done
  sleep "$idle"
  for pid in "${pids[@]}"; do
    local ticks=$(( $(cpu_ticks "$pid") - ${before[$i]} ))
    printf '%-24s %9s %9s %9s %9s %8s %10s\n' "$(cat /proc/$pid/comm) ($pid)" "$(field "$pid" VmRSS)" \
      "$(field "$pid" VmHWM)" "$(rollup "$pid" Pss)" "$(rollup "$pid" 'Private_(Clean|Dirty)')" \
      "$(field "$pid" Threads)" \
      "$(awk -v t="$ticks" -v hz="$hz" -v s="$idle" 'BEGIN{printf "%.3f", 100*t/hz/s}')"
    i=$((i + 1))
  done
}

run() {  # MODE
  local mode=$1 master_args=() line executor
  if [ "$mode" = external ]; then
    "$bin/mesos-launch-cluster" --port 0 --agents 1 >"$work/cluster.log" 2>&1 &
    cluster_pid=$!
    line=$(wait_for_line "$work/cluster.log" 30 'master listening on http') ||
      { cat "$work/cluster.log"; exit 1; }
    # The executor as users get it: served by mesos-launch, checked by the agent.
    master_args=(--master "$(grep -oE 'http://[^ ]+' <<<"$line" | awk 'NR == 1')")
  fi
  "$bin/mesos-launch" "$spec" "${master_args[@]}" --duration 1h >"$work/launch.log" 2>&1 &
  launch_pid=$!
  wait_for_line "$work/launch.log" 60 'serving http' >/dev/null ||
    { cat "$work/launch.log"; exit 1; }
  local root=$launch_pid
  [ "$mode" = external ] && root=$cluster_pid
  executor=$(descendants_named "$root" mesos-launch-ex | awk 'NR == 1')
  [ -n "$executor" ] || { echo "no executor under $root"; exit 1; }
  sleep 2  # past the start-up burst
  echo "== $mode: idle ${idle}s after 'serving' (RSS/HWM in KiB; CPU % of one core)"
  printf '%-24s %9s %9s %9s %9s %8s %10s\n' process VmRSS VmHWM Pss Private threads "CPU %"
  measure "$launch_pid" "$executor"
  # RSS by mapping: the executor's once (external), mesos-launch's in both modes.
  if [ "$mode" = external ]; then
    echo "executor RSS by mapping (KiB, largest first):"
    by_mapping "$executor"
  fi
  echo "mesos-launch ($mode) RSS by mapping (KiB, largest first):"
  by_mapping "$launch_pid"
  kill "$launch_pid"; wait "$launch_pid" 2>/dev/null || true; launch_pid=""
  if [ -n "$cluster_pid" ]; then kill "$cluster_pid"; wait "$cluster_pid" 2>/dev/null || true; cluster_pid=""; fi
  remove_sandboxes "$work/launch.log"
  remove_sandboxes "$work/cluster.log"
}

load_line
run external
run embedded
load_line

# Shared helpers for the bench/*.sh scripts (sourced, not run).

# A free TCP port on 127.0.0.1 (bound and released; a tiny race, fine here).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Every descendant PID of $1 (children, grandchildren, ...).
descendants() {
  local kid
  for kid in $(pgrep -P "$1" || true); do
    echo "$kid"
    descendants "$kid"
  done
}

# The descendants of $1 whose command name is $2 (as /proc/PID/comm has it).
descendants_named() {
  local pid
  for pid in $(descendants "$1"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && echo "$pid"
  done
  return 0
}

# VmRSS of the PIDs given, summed, in KiB.
rss_kib() {
  local total=0 pid kb
  for pid in "$@"; do
    kb=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# utime+stime of the PIDs given, summed, in clock ticks.
cpu_ticks() {
  local total=0 pid t
  for pid in "$@"; do
    # Fields 14 and 15, counted after the ")" that ends the command name.
    t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# The median of the numbers on stdin (one a line).
median() {
  sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit}
    if (NR%2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2]+a[NR/2+1])/2}'
}

# The p-th percentile (nearest rank) of the numbers on stdin.
percentile() {
  sort -g | awk -v p="$1" '{a[NR]=$1} END {if (NR==0) {print "nan"; exit}
    r=int((p/100)*NR + 0.999999); if (r<1) r=1; print a[r]}'
}

# Waits up to $2 seconds for a line matching the ERE $3 in file $1; prints it.
wait_for_line() {
  local file=$1 seconds=$2 pattern=$3 deadline line
  deadline=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -le "$deadline" ]; do
    line=$(grep -E -m1 "$pattern" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    sleep 0.05
  done
  return 1
}

load_line() { echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), $(nproc) cores"; }

# Removes the sandbox directory a mesos-launch or mesos-launch-cluster run
# named in its log ("sandboxes under /tmp/mesos-launch....") — kept by design
# after a run, but a benchmark makes dozens.
remove_sandboxes() {
  local dir
  dir=$(grep -oE 'sandboxes under /tmp/mesos-launch[-a-z]*\.[A-Za-z0-9]+' "$1" 2>/dev/null |
        awk 'NR == 1 {print $3}' || true)
  [ -n "$dir" ] && [ -d "$dir" ] && rm -rf "$dir"
  return 0
}

#!/usr/bin/env bash
# Sets up, builds and runs a spec (default specs/webserver.yaml).
#
# With --master (or MESOS_MASTER, or `master:` in the spec) it runs against
# that Mesos master. Without one it starts mesos-launch-cluster (a Mesos
# master and two agents on loopback) for the run, and stops it afterwards.
# Ctrl-C stops the run cleanly. Extra arguments go to mesos-launch.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target mesos-launch mesos-launch-executor mesos-launch-cluster

spec="${1:-specs/webserver.yaml}"
[ $# -gt 0 ] && shift
bin="$PWD/build/bin"

names_master=false
for arg in "$@"; do [[ "$arg" == --master* ]] && names_master=true; done
if $names_master || [ -n "${MESOS_MASTER:-}" ] || grep -qE '^master:' "$spec"; then
  exec "$bin/mesos-launch" "$spec" "$@"
fi

# No master named: an embedded cluster for this run.
log=$(mktemp)
# Its own session: Ctrl-C goes to mesos-launch, which stops the tasks first.
setsid "$bin/mesos-launch-cluster" --port 0 --agents 2 >"$log" 2>"$log.err" &
cluster=$!
trap 'kill "$cluster" 2>/dev/null || true; wait "$cluster" 2>/dev/null || true; rm -f "$log" "$log.err"' EXIT
url=""
for _ in $(seq 300); do  # up to 30 s for the master to listen
  url=$(grep -o 'http://[0-9.]*:[0-9]*' "$log" | head -n 1 || true)
  [ -n "$url" ] && break
  kill -0 "$cluster" 2>/dev/null || { cat "$log.err" >&2; exit 2; }
  sleep 0.1
done
[ -n "$url" ] || { echo "run.sh: mesos-launch-cluster did not start" >&2; exit 2; }
echo "run.sh: embedded cluster at $url (2 agents on 127.0.0.2 and 127.0.0.3)"
"$bin/mesos-launch" --master "$url" --executor-uri "file://$bin/mesos-launch-executor" \
  "$spec" "$@"

#!/usr/bin/env bash
# Issue #18: every scheduler call mesos-launch sends, decoded with a copy of
# the Mesos v1 protos that is not ours: mesos-go's (Debian's
# golang-github-mesos-mesos-go-dev: mesos-go 0.0.6, Mesos 1.4 protos).
#
#   mesos_go_calls_test.sh BIN_DIR        the end-to-end run
#   mesos_go_calls_test.sh --self-test    the checker and this script's CI rule
#
# BIN_DIR holds mesos-launch, mesos-launch-executor and mesos-launch-cluster.
# One mesos-launch-cluster; for each of specs/webserver.yaml,
# primary-replicas.yaml and command.yaml, a recording proxy
# (record_calls.py) in front of its master and `mesos-launch --master
# http://127.0.0.1:<proxy>` until every instance is RUNNING (and healthy
# when checked), then SIGINT: it kills its tasks and tears down, exiting 0.
# check_calls.py then decodes each recorded call with protoc against
# mesos-go's protos and checks them (see there), and decodes each again
# with our own proto/ to check that both name every field alike; it fails
# naming the call file and the offending line. The runs must between them send SUBSCRIBE,
# ACCEPT, ACKNOWLEDGE, KILL and TEARDOWN.
#
# $MESOS_GO_PROTOS (default /usr/share/gocode/src) is the include root of
# the protos. Exit 77 (ctest's SKIP_RETURN_CODE) when protoc, python3 or the
# protos are missing -- except in CI (any CI value but "", 0 or false),
# where that is a failure. KEEP_CALLS=1 keeps the work directory.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
protos="${MESOS_GO_PROTOS:-/usr/share/gocode/src}"

source "$here/../fakes/ci.sh"
unavailable() { ci_or_skip "$1"; }
fail() {
  echo "FAIL: $1" >&2
  exit 1
}

command -v python3 >/dev/null || unavailable "python3 is not installed (scripts/setup.sh installs it)"
command -v protoc >/dev/null || unavailable "protoc is not installed (scripts/setup.sh installs protobuf-compiler)"
for f in github.com/mesos/mesos-go/api/v1/lib/mesos.proto \
         github.com/mesos/mesos-go/api/v1/lib/scheduler/scheduler.proto \
         github.com/gogo/protobuf/gogoproto/gogo.proto; do
  [ -f "$protos/$f" ] ||
    unavailable "no $protos/$f (scripts/setup.sh installs golang-github-mesos-mesos-go-dev)"
done

# --self-test: the checker on calls made to fail (corrupt, missing a
# required field, unknown fields, headers), then this script's CI rule with
# the protos hidden.
if [ "${1:-}" = "--self-test" ]; then
  python3 "$here/check_calls.py" --protos "$protos" --self-test || fail "check_calls.py --self-test"
  rule_failed=0
  for value in true 1 yes "" 0 false; do
    want=1
    case "$value" in "" | 0 | false) want=77 ;; esac
    MESOS_GO_PROTOS=/nonexistent CI="$value" bash "$0" /nonexistent 2>/dev/null
    got=$?
    if [ "$got" -ne "$want" ]; then
      echo "FAIL: protos missing, CI='$value': exit $got, expected $want" >&2
      rule_failed=1
    fi
  done
  [ "$rule_failed" -eq 0 ] || exit 1
  echo "PASS: with the protos missing it fails for CI values that mean CI, skips otherwise"
  exit 0
fi

bin="${1:?usage: mesos_go_calls_test.sh BIN_DIR | --self-test}"
for program in mesos-launch mesos-launch-executor mesos-launch-cluster; do
  [ -x "$bin/$program" ] || fail "no $program in $bin"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/mesos-go-calls.XXXXXX")" || fail "mktemp"
cluster_pid="" proxy_pid="" launcher_pid=""
cleanup() {
  for pid in $launcher_pid $proxy_pid $cluster_pid; do
    kill -KILL "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  if [ "${KEEP_CALLS:-}" = 1 ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
show_logs() {
  for f in "$work"/cluster.err "$work"/*/launcher.out "$work"/*/launcher.err "$work"/*/proxy.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
  done
}
die() {
  show_logs
  fail "$1"
}

# Polls `condition` (a command) every 0.1 s for up to $1 seconds.
wait_for() {
  local seconds="$1"
  shift
  local i
  for ((i = 0; i < seconds * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

# Three ports on 127.0.0.2 (the embedded agent's address) that are free now,
# so runs beside other tests do not hand out each other's ports.
ports="$(python3 - <<'PY'
import socket
held = []
for _ in range(3):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    held.append(s)
print(",".join("%d-%d" % (s.getsockname()[1], s.getsockname()[1]) for s in held))
PY
)" || fail "no free port on 127.0.0.2"

"$bin/mesos-launch-cluster" --port 0 --agents 1 --allocation-interval 0.1 \
  --agent-resources "cpus:4;mem:4096;disk:4000;ports:[$ports]" --work-dir "$work/cluster" \
  >"$work/cluster.out" 2>"$work/cluster.err" &
cluster_pid=$!
cluster_up() {
  kill -0 "$cluster_pid" 2>/dev/null || die "the cluster exited early"
  grep -q '^master listening on ' "$work/cluster.out"
}
wait_for 30 cluster_up || die "no 'master listening on' line within 30 s"
master="$(sed -n 's/^master listening on http:\/\///p' "$work/cluster.out")"
echo "cluster: master at $master"

# run NAME SPEC CONDITION...: one mesos-launch run on SPEC (a path in the
# source tree) through a new proxy recording into $work/NAME; each CONDITION
# is "INSTANCE WORD": the run is stopped once every INSTANCE has said an
# event starting with WORD, and must then exit $RUN_EXIT (default 0).
run() {
  local name="$1" spec="$2"
  shift 2
  local dir="$work/$name"
  mkdir -p "$dir"
  python3 "$here/record_calls.py" --upstream "$master" --out "$dir/calls" \
    >"$dir/proxy.out" 2>"$dir/proxy.err" &
  proxy_pid=$!
  proxy_up() {
    kill -0 "$proxy_pid" 2>/dev/null || die "$name: the proxy exited early"
    grep -q '^record_calls listening on ' "$dir/proxy.out"
  }
  wait_for 30 proxy_up || die "$name: the proxy did not start within 30 s"
  local proxy
  proxy="$(sed -n 's/^record_calls listening on //p' "$dir/proxy.out")"

  # A failover state of its own: another test running the same spec at the
  # same time must not make this run resubscribe with that one's framework.
  "$bin/mesos-launch" --master "http://$proxy" --output json --connect-timeout 30s \
    --state-dir "$dir/state" "$source_dir/$spec" >"$dir/launcher.out" 2>"$dir/launcher.err" &
  launcher_pid=$!
  all_said() {
    kill -0 "$launcher_pid" 2>/dev/null || die "$name: mesos-launch exited early"
    local condition
    for condition in "$@"; do
      grep -q "\"instance\":\"${condition% *}\",\"kind\":\"[a-z]*\",\"text\":\"${condition#* }" \
        "$dir/launcher.out" || return 1
    done
  }
  wait_for 90 all_said "$@" || die "$name: not all of [$*] within 90 s"

  kill -INT "$launcher_pid"
  launcher_exited() { ! kill -0 "$launcher_pid" 2>/dev/null; }
  wait_for 60 launcher_exited || die "$name: mesos-launch still runs 60 s after SIGINT"
  wait "$launcher_pid"
  local rc=$?
  launcher_pid=""
  [ "$rc" -eq "${RUN_EXIT:-0}" ] || die "$name: mesos-launch exited $rc after SIGINT, not ${RUN_EXIT:-0}"
  kill -TERM "$proxy_pid"
  wait "$proxy_pid" 2>/dev/null
  proxy_pid=""
  echo "$name: $(ls "$dir/calls" | grep -c '\.bin$') calls recorded from $spec"
}

run webserver specs/webserver.yaml "webserver.0 RUNNING" "webserver.0 healthy"
run primary-replicas specs/primary-replicas.yaml "primary.0 healthy" \
  "replica.0 RUNNING" "replica.1 RUNNING" "replica.2 RUNNING"
run command specs/command.yaml "files.0 RUNNING" "files.0 healthy"
# ACCEPTs carrying ContainerInfo for both containerizers (their images are
# not in this cluster's store: the tasks fail, and a stop before any
# instance ran exits 130).
RUN_EXIT=130 run container-mesos tests/data/plans/container-mesos.yaml "web.0 LAUNCHED"
RUN_EXIT=130 run container-docker tests/data/plans/container-docker.yaml "httpd.0 LAUNCHED" \
  "httpd.1 LAUNCHED"

kill -TERM "$cluster_pid"
wait "$cluster_pid"
cluster_rc=$?
cluster_pid=""
[ "$cluster_rc" -eq 0 ] || die "the cluster exited $cluster_rc on SIGTERM"

python3 "$here/check_calls.py" --protos "$protos" --ours "$source_dir/proto" \
  --require SUBSCRIBE --require ACCEPT --require ACKNOWLEDGE --require KILL --require TEARDOWN \
  "$work/webserver/calls" "$work/primary-replicas/calls" "$work/command/calls" \
  "$work/container-mesos/calls" "$work/container-docker/calls" ||
  { KEEP_CALLS=1; fail "the recorded calls do not all pass against mesos-go's protos (kept in $work)"; }

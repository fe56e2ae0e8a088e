#!/usr/bin/env bash
# The embedded master's v1 operator API (POST /api/v1: the synchronous
# calls, the SUBSCRIBE event stream, MARK_AGENT_GONE, the 501 for the rest;
# GET /metrics/snapshot and /version) and its agents' file API (LIST_FILES
# and READ_FILE on their own /api/v1, GET /files/browse and /files/read),
# checked with a client that is not ours: operator_client.py encodes and
# decodes every message with protoc and mesos-go's copy of the Mesos protos
# (Debian's golang-github-mesos-mesos-go-dev, Mesos 1.4: packages
# mesos.master, mesos.agent, mesos), then again with our proto/ to check that
# both name every field alike.
#
#   operator_api_test.sh BIN_DIR        the end-to-end run (about 20 s)
#   operator_api_test.sh --self-test    the checker on hand-made bad input,
#                                       and this script's CI rule
#
# BIN_DIR holds mesos-launch, mesos-launch-executor and mesos-launch-cluster.
# One mesos-launch-cluster with two agents on ports of their own; then
# operator_client.py subscribes to its operator stream in protobuf, runs
# `mesos-launch --master http://127.0.0.1:PORT specs/webserver.yaml`, and
# checks the stream, every call, the agent's sandbox files and hostile
# paths, MARK_AGENT_GONE of the task's agent, and mesos-launch's exit 0 on
# SIGINT (operator_client.py's docstring says what exactly). The cluster is
# then stopped with SIGTERM and must exit 0.
#
# $MESOS_GO_PROTOS (default /usr/share/gocode/src) is the include root of
# the protos. Exit 77 (ctest's SKIP_RETURN_CODE) when protoc, python3 or the
# protos are missing -- except in CI (any CI value but "", 0 or false), where
# that is a failure. KEEP=1 keeps the work directory (it is kept anyway when
# the check fails).
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
         github.com/mesos/mesos-go/api/v1/lib/master/master.proto \
         github.com/mesos/mesos-go/api/v1/lib/agent/agent.proto \
         github.com/gogo/protobuf/gogoproto/gogo.proto; do
  [ -f "$protos/$f" ] ||
    unavailable "no $protos/$f (scripts/setup.sh installs golang-github-mesos-mesos-go-dev)"
done

# --self-test: the checker on streams and responses made to fail (an
# unknown field, a corrupt record, broken framing, a stream missing
# TASK_UPDATED, fields we number otherwise, ...), then this script's CI
# rule with the protos hidden.
if [ "${1:-}" = "--self-test" ]; then
  python3 "$here/operator_client.py" --gocode "$protos" --ours "$source_dir/proto" --self-test ||
    fail "operator_client.py --self-test"
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

bin="${1:?usage: operator_api_test.sh BIN_DIR | --self-test}"
for program in mesos-launch mesos-launch-executor mesos-launch-cluster; do
  [ -x "$bin/$program" ] || fail "no $program in $bin"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/operator-api.XXXXXX")" || fail "mktemp"
cluster_pid=""
keep="${KEEP:-}"
cleanup() {
  # operator_client.py stops mesos-launch itself; should it have died
  # first, the pid it wrote says what is left.
  local launcher
  launcher="$(cat "$work/run/launcher.pid" 2>/dev/null)"
  if [ -n "$launcher" ] && kill -0 "$launcher" 2>/dev/null; then
    kill -KILL "$launcher" 2>/dev/null
  fi
  if [ -n "$cluster_pid" ]; then
    kill -KILL "$cluster_pid" 2>/dev/null && wait "$cluster_pid" 2>/dev/null
  fi
  if [ "$keep" = 1 ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
show_logs() {
  for f in "$work"/cluster.err "$work"/run/launcher.out "$work"/run/launcher.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }
  done
}
die() {
  show_logs
  keep=1
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

# Two ports free now on both agents' addresses (127.0.0.2 and .3): the
# webserver's, then its replacement's once its agent is marked gone.
ports="$(python3 - <<'PY'
import socket
held, found = [], []
while len(found) < 2:
    a = socket.socket()
    a.bind(("127.0.0.2", 0))
    held.append(a)
    port = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.3", port))
    except OSError:
        continue
    held.append(b)
    found.append(port)
print(",".join("%d-%d" % (p, p) for p in found))
PY
)" || fail "no free ports on 127.0.0.2 and 127.0.0.3"

"$bin/mesos-launch-cluster" --port 0 --agents 2 --allocation-interval 0.1 --heartbeat-interval 1 \
  --agent-resources "cpus:2;mem:2048;disk:2000;ports:[$ports]" --work-dir "$work/cluster" \
  >"$work/cluster.out" 2>"$work/cluster.err" &
cluster_pid=$!
cluster_up() {
  kill -0 "$cluster_pid" 2>/dev/null || die "the cluster exited early"
  grep -q '^master listening on ' "$work/cluster.out"
}
wait_for 30 cluster_up || die "no 'master listening on' line within 30 s"
master="$(sed -n 's/^master listening on http:\/\///p' "$work/cluster.out")"
echo "cluster: master at $master, 2 agents (ports $ports), work dir $work/cluster"

python3 "$here/operator_client.py" run --master "$master" --agents 2 \
  --launcher "$bin/mesos-launch" --spec specs/webserver.yaml --task-prefix webserver \
  --source-dir "$source_dir" --cluster-work-dir "$work/cluster" --out "$work/run" \
  --gocode "$protos" --ours "$source_dir/proto"
client_rc=$?

kill -TERM "$cluster_pid"
cluster_exited() { ! kill -0 "$cluster_pid" 2>/dev/null; }
wait_for 30 cluster_exited || die "the cluster still runs 30 s after SIGTERM"
wait "$cluster_pid"
cluster_rc=$?
cluster_pid=""
[ "$cluster_rc" -eq 0 ] || die "the cluster exited $cluster_rc on SIGTERM"
echo "ok: the cluster stopped on SIGTERM, exit 0"

[ "$client_rc" -eq 0 ] ||
  die "the operator API does not answer as mesos-go's protos say (raw messages kept in $work/run)"
echo "PASS: operator API and agent file API checked with mesos-go's protos"

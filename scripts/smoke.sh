#!/usr/bin/env bash
# The README's first command, run as a person runs it:
# `scripts/run.sh specs/webserver.yaml` in the background (it sets up and
# builds build/, the README's build, then becomes mesos-launch on an
# embedded cluster). Passes when the URL it prints answers
# "Hello from Server", SIGINT then ends it with exit 0, and no
# mesos-launch-executor of build/ is left running.
#
#   scripts/smoke.sh      (SMOKE_TIMEOUT: seconds to wait for the URL,
#                          building included; default 1800)
set -euo pipefail
cd "$(dirname "$0")/.."
timeout_s="${SMOKE_TIMEOUT:-1800}"
executor="$PWD/build/bin/mesos-launch-executor"
log="$(mktemp "${TMPDIR:-/tmp}/smoke.XXXXXX")"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT
fail() {
  echo "smoke: FAIL: $1" >&2
  echo "--- scripts/run.sh's output" >&2
  cat "$log" >&2
  exit 1
}
# The executors of build/ running now, one pid a line.
executors() {
  local proc
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/exe" 2>/dev/null)" = "$executor" ] && echo "${proc#/proc/}"
  done
  return 0
}
[ -z "$(executors)" ] || fail "an executor of build/ runs already: $(executors | tr '\n' ' ')"

# Job control: the run gets a process group of its own, and a background
# job started with it does not ignore SIGINT.
set -m
scripts/run.sh specs/webserver.yaml >"$log" 2>&1 &
pid=$!
set +m

url=""
deadline=$((SECONDS + timeout_s))
while [ -z "$url" ]; do
  url="$(sed -n 's|^webserver\.0 *serving \(http://[^ ]*\).*|\1|p' "$log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "scripts/run.sh exited before printing a URL"
  [ "$SECONDS" -lt "$deadline" ] || fail "no 'serving http://' line within ${timeout_s}s"
  sleep 0.2
done
echo "smoke: $url"

body="$(curl -sS --max-time 10 "$url")" || fail "GET $url failed"
[ "$body" = "Hello from Server" ] || fail "GET $url answered '$body', not 'Hello from Server'"
[ -n "$(executors)" ] || fail "no executor of build/ runs while the URL answers"

kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "SIGINT ended the run with exit $rc, not 0"
left="$(executors)"
[ -z "$left" ] || fail "executors left running after the run ended: $(echo $left)"
grep -q 'KILLED' "$log" || fail "the task was not reported KILLED"
echo "smoke: the URL answered 'Hello from Server'; SIGINT ended the run with exit 0; no executor left"

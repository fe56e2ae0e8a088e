#!/usr/bin/env bash
# Issue #4's acceptance run: a third-party framework and executor, written
# only with the independent `mesos-framework` npm library (scheduler.js,
# executor.js), against a real `mesos-launch-cluster` process.
#
#   run_test.sh CLUSTER_BINARY NPM_DIR
#
# NPM_DIR (in the build tree) receives package.json, package-lock.json, the
# two scripts and `npm ci`'s node_modules. Passes when the scheduler saw its
# custom-executor task go TASK_RUNNING then TASK_FINISHED and its command
# task (no executor: the agent's command executor, mesos-launch-executor
# from the cluster's --launcher-dir, runs it) go TASK_STARTING, TASK_RUNNING,
# TASK_FINISHED, acknowledged all five, tore down; the master's
# /master/state lists the framework as completed with both tasks FINISHED;
# the command task's sandbox holds the file it wrote; the cluster exits 0 on
# SIGTERM; and no process is left in the work directory.
#
# Exit 77 (ctest's SKIP_RETURN_CODE) when node/npm or the npm packages are
# unavailable -- except in CI (any CI value but "", 0 or false), where that
# is a failure.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cluster="${1:?usage: run_test.sh CLUSTER_BINARY NPM_DIR}"
npm_dir="${2:?usage: run_test.sh CLUSTER_BINARY NPM_DIR}"

source "$here/../fakes/ci.sh"
unavailable() { ci_or_skip "$1"; }
fail() {
  echo "FAIL: $1" >&2
  exit 1
}

command -v node >/dev/null || unavailable "node is not installed (scripts/setup.sh installs it)"
command -v npm >/dev/null || unavailable "npm is not installed (scripts/setup.sh installs it)"
[ -x "$cluster" ] || fail "no cluster binary at $cluster"

# The library, pinned by package-lock.json; `npm ci` again only when the
# lock file changed.
mkdir -p "$npm_dir" || fail "cannot create $npm_dir"
npm_dir="$(cd "$npm_dir" && pwd)"
cp "$here/package.json" "$here/package-lock.json" "$here/scheduler.js" \
   "$here/executor.js" "$npm_dir/" || fail "cannot copy the test into $npm_dir"
if ! cmp -s "$npm_dir/package-lock.json" "$npm_dir/node_modules/.installed-lock.json"; then
  (cd "$npm_dir" && npm ci --prefer-offline --no-audit --no-fund >npm-ci.log 2>&1) ||
    { cat "$npm_dir/npm-ci.log" >&2; unavailable "npm ci failed in $npm_dir (see above)"; }
  cp "$npm_dir/package-lock.json" "$npm_dir/node_modules/.installed-lock.json"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/third-party-conformance.XXXXXX")" || fail "mktemp"
cluster_pid=""
cleanup() {
  if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
    kill -KILL "$cluster_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
show_logs() {
  echo "--- cluster stderr" >&2; cat "$work/cluster.err" >&2
  for f in "$work"/cluster/slaves/*/frameworks/*/executors/*/runs/*/std{out,err}; do
    [ -f "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
}

"$cluster" --port 0 --agents 1 --allocation-interval 0.2 --work-dir "$work/cluster" \
  >"$work/cluster.out" 2>"$work/cluster.err" &
cluster_pid=$!

# The cluster prints "master listening on URL" once master and agent serve.
url=""
for _ in $(seq 100); do
  url="$(sed -n 's/^master listening on //p' "$work/cluster.out")"
  [ -n "$url" ] && break
  kill -0 "$cluster_pid" 2>/dev/null || { show_logs; fail "the cluster exited early"; }
  sleep 0.1
done
[ -n "$url" ] || { show_logs; fail "no 'master listening on' line within 10 s"; }
echo "cluster: $url"

mkdir -p "$work/logs"
timeout 90 node "$npm_dir/scheduler.js" "$url" "$npm_dir/executor.js" \
  "$npm_dir/node_modules" "$work/logs" >"$work/scheduler.out" 2>&1
scheduler_rc=$?
cat "$work/scheduler.out"
[ "$scheduler_rc" -eq 0 ] || { show_logs; fail "scheduler.js exited $scheduler_rc"; }

running_line="$(grep -n '^scheduler: TASK_RUNNING seen$' "$work/scheduler.out" | cut -d: -f1)"
finished_line="$(grep -n '^scheduler: TASK_FINISHED seen; tearing down$' "$work/scheduler.out" | cut -d: -f1)"
[ -n "$running_line" ] || fail "no TASK_RUNNING seen"
[ -n "$finished_line" ] || fail "no TASK_FINISHED seen"
[ "$running_line" -lt "$finished_line" ] || fail "TASK_FINISHED came before TASK_RUNNING"
for state in TASK_STARTING TASK_RUNNING TASK_FINISHED; do
  grep -q "^scheduler: command task $state seen\$" "$work/scheduler.out" ||
    fail "the command task's $state was not seen"
done
[ "$(grep -c '^scheduler: ACKNOWLEDGE accepted$' "$work/scheduler.out")" -eq 5 ] ||
  fail "expected exactly 5 acknowledgements accepted (2 of the custom-executor task, 3 of the command task)"
command_out="$(cat "$work"/cluster/slaves/*/frameworks/*/executors/third-party-command-task-*/runs/latest/out.txt 2>/dev/null)"
[ "$command_out" = "command task ran" ] ||
  { show_logs; fail "the command task's sandbox has no out.txt it wrote (got '$command_out')"; }
grep -q '^scheduler: TEARDOWN accepted$' "$work/scheduler.out" || fail "TEARDOWN not accepted"
framework_id="$(sed -n 's/^scheduler: SUBSCRIBED as //p' "$work/scheduler.out")"
[ -n "$framework_id" ] || fail "no framework id"

# The master removed the framework: no longer active, completed with its
# task FINISHED and nothing left running.
node - "$url/master/state" "$framework_id" <<'JS' || { show_logs; fail "/master/state is not as expected"; }
const [stateUrl, id] = process.argv.slice(2);
function check(state) {
  const active = state.frameworks.filter((f) => f.id === id);
  if (active.length !== 0) throw new Error("framework " + id + " is still in 'frameworks'");
  const done = state.completed_frameworks.filter((f) => f.id === id);
  if (done.length !== 1) throw new Error("framework " + id + " is not in 'completed_frameworks'");
  const states = done[0].completed_tasks.map((t) => t.state);
  if (states.length !== 2 || states.some((s) => s !== "TASK_FINISHED"))
    throw new Error("completed tasks: " + JSON.stringify(states));
  if (done[0].tasks.length !== 0) throw new Error("tasks left: " + JSON.stringify(done[0].tasks));
  console.log("master/state: framework " + id + " completed, both its tasks TASK_FINISHED");
}
require("http").get(stateUrl, (res) => {
  let body = "";
  res.on("data", (c) => (body += c));
  res.on("end", () => {
    try { check(JSON.parse(body)); } catch (e) { console.error(e.message); console.error(body); process.exit(1); }
  });
}).on("error", (e) => { console.error(e.message); process.exit(1); });
JS

# SIGTERM stops the cluster cleanly ...
kill -TERM "$cluster_pid"
for _ in $(seq 100); do
  kill -0 "$cluster_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$cluster_pid" 2>/dev/null && { show_logs; fail "the cluster did not exit within 10 s of SIGTERM"; }
wait "$cluster_pid"
cluster_rc=$?
cluster_pid=""
[ "$cluster_rc" -eq 0 ] || { show_logs; fail "the cluster exited $cluster_rc on SIGTERM"; }

# ... and leaves no process behind: none runs in a sandbox under the work
# directory (the executor's cwd) or names it on its command line.
left=""
for proc in /proc/[0-9]*; do
  cwd="$(readlink "$proc/cwd" 2>/dev/null)" || continue
  cmd="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null)"
  case "$cwd $cmd" in
    *"$work/cluster"*) left="$left ${proc#/proc/}: $cmd (cwd $cwd)";;
  esac
done
[ -z "$left" ] || fail "processes left behind:$left"

echo "PASS: third-party framework ran a custom-executor task and a command task to TASK_FINISHED on mesos-launch-cluster"

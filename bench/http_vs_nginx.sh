#!/usr/bin/env bash
# The built-in HTTP service against nginx, under identical wrk load.
#
# Ours: a one-task spec (payload "Hello from Server", the machine's cpus)
# run by `mesos-launch` on its embedded cluster; the URL is read from its
# "serving" line. nginx: worker_processes = cores, access_log off, the same
# body and Content-Type from `return 200`, run as a command task by another
# `mesos-launch` on an embedded cluster of its own. Rounds alternate
# ours/nginx; every ratio is ours/nginx. With NGINX_REUSEPORT=1 nginx
# listens with `reuseport` (one accept queue per worker, the kernel spreading
# connections), its best configuration for many short connections; bench/run
# runs both.
#
# Usage: bench/http_vs_nginx.sh [BIN_DIR]   (env: ROUNDS=7 DURATION=10s
#        THREADS=2 CONNECTIONS=64 NGINX_REUSEPORT=0)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
bin="$(cd "${1:-$here/../build-bench/bin}" && pwd)"
rounds=${ROUNDS:-7}
duration=${DURATION:-10s}
threads=${THREADS:-2}
connections=${CONNECTIONS:-64}
listen_options=""
[ "${NGINX_REUSEPORT:-0}" = 1 ] && listen_options=" reuseport"
cores=$(nproc)
payload="Hello from Server"
# What ours sends for a payload with no content_type (http_service.cc).
content_type="text/plain; charset=utf-8"

work=$(mktemp -d /tmp/ml-bench-http.XXXXXX)
ours_pid="" nginx_launch_pid=""
cleanup() {
  local pid
  for pid in $ours_pid $nginx_launch_pid; do
    kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  remove_sandboxes "$work/ours.log"
  remove_sandboxes "$work/nginx.log"
  rm -rf "$work"
}
trap cleanup EXIT

# --- ours -------------------------------------------------------------------
# The embedded agent offers `cores` cpus; the executor takes 0.05 of them, so
# the task asks for the rest. Worker threads = the task's cpus rounded up, so
# the service runs `cores` threads.
task_cpus=$(awk -v c="$cores" 'BEGIN{printf "%.2f", c - 0.05}')
cat >"$work/web.yaml" <<SPEC
version: 1
tasks:
  - name: web
    resources: { cpus: $task_cpus, mem: 128 }
    ports:
      - name: http
    service:
      type: http
      port: http
      payload: "$payload"
SPEC
"$bin/mesos-launch" "$work/web.yaml" --duration 1h >"$work/ours.log" 2>&1 &
ours_pid=$!
line=$(wait_for_line "$work/ours.log" 60 'serving http') ||
  { echo "ours never served:"; cat "$work/ours.log"; exit 1; }
ours_url=$(grep -oE 'http://[^ ]+' <<<"$line" | awk 'NR == 1')
executor_pid=""
for _ in $(seq 100); do
  executor_pid=$(descendants_named "$ours_pid" mesos-launch-ex | awk 'NR == 1')
  [ -n "$executor_pid" ] && break
  sleep 0.05
done
[ -n "$executor_pid" ] || { echo "no executor process under $ours_pid"; exit 1; }

# --- nginx ------------------------------------------------------------------
# A task too: a command task on an embedded cluster of its own (the machine's
# cpus again), nginx supervised by mesos-launch-executor like any command.
# Both clusters give their first task port 31000 on the agent address
# (127.0.0.2), where ours listens, so nginx listens on 127.0.0.1 instead.
cat >"$work/nginx.conf.in" <<CONF
worker_processes $cores;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path body;
  proxy_temp_path proxy;
  fastcgi_temp_path fastcgi;
  uwsgi_temp_path uwsgi;
  scgi_temp_path scgi;
  server {
    listen 127.0.0.1:@PORT@$listen_options;
    default_type "$content_type";
    location / { return 200 "$payload"; }
  }
}
CONF
cat >"$work/nginx.yaml" <<SPEC
version: 1
tasks:
  - name: nginx
    resources: { cpus: $task_cpus, mem: 128 }
    ports:
      - name: http
    command: >-
      sed "s/@PORT@/\${ports.http}/" $work/nginx.conf.in > nginx.conf &&
      exec nginx -p "\$PWD/" -c "\$PWD/nginx.conf" -g 'daemon off;'
SPEC
"$bin/mesos-launch" "$work/nginx.yaml" --duration 1h >"$work/nginx.log" 2>&1 &
nginx_launch_pid=$!
line=$(wait_for_line "$work/nginx.log" 60 'LAUNCHED on .* http=[0-9]+') ||
  { echo "nginx was never launched:"; cat "$work/nginx.log"; exit 1; }
nginx_url="http://127.0.0.1:$(grep -oE 'http=[0-9]+' <<<"$line" | cut -d= -f2)/"
for _ in $(seq 200); do curl -fs -o /dev/null "$nginx_url" && break; sleep 0.05; done
nginx_pid=""
for _ in $(seq 100); do
  # The master is the nginx process whose parent is not an nginx.
  for pid in $(descendants_named "$nginx_launch_pid" nginx); do
    [ "$(cat "/proc/$(awk '{print $4}' "/proc/$pid/stat")/comm")" != nginx ] && nginx_pid=$pid
  done
  [ -n "$nginx_pid" ] && break
  sleep 0.05
done
[ -n "$nginx_pid" ] || { echo "no nginx process under $nginx_launch_pid"; cat "$work/nginx.log"; exit 1; }

# The two must answer alike: same status, body and Content-Type.
for url in "$ours_url" "$nginx_url"; do
  body=$(curl -fsS "$url")
  type=$(curl -fsS -o /dev/null -w '%{content_type}' "$url")
  [ "$body" = "$payload" ] && [ "$type" = "$content_type" ] ||
    { echo "$url answered '$body' as '$type'"; exit 1; }
done

echo "ours:  $ours_url (executor pid $executor_pid, task cpus $task_cpus)"
echo "nginx: $nginx_url (a command task; nginx master pid $nginx_pid, $cores workers," \
  "listen${listen_options:- without reuseport})"
echo "wrk -t$threads -c$connections -d$duration --latency URL; $rounds rounds, ours first"
load_line

# wrk's latency in ms, from "50%  1.23ms" style lines.
to_ms() {
  awk '{v=$1; u=v; sub(/[0-9.]+/,"",u); sub(/[a-z]+$/,"",v);
        if (u=="us") v/=1000; else if (u=="s") v*=1000; else if (u=="m") v*=60000; print v}'
}
run_wrk() {  # URL -> "rps p50_ms p99_ms"
  local out rps p50 p99
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$1")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then echo "wrk errors: $out" >&2; fi
  rps=$(awk '/^Requests\/sec:/{print $2}' <<<"$out")
  p50=$(awk '$1=="50%"{print $2}' <<<"$out" | to_ms)
  p99=$(awk '$1=="99%"{print $2}' <<<"$out" | to_ms)
  echo "$rps $p50 $p99"
}
nginx_pids() { echo "$nginx_pid"; pgrep -P "$nginx_pid" || true; }

printf '%-6s %-6s %10s %9s %9s %9s %9s\n' round side "req/s" "p50 ms" "p99 ms" "RSS KiB" "HWM KiB"
: >"$work/rows"
for r in $(seq "$rounds"); do
  for side in ours nginx; do
    if [ "$side" = ours ]; then url=$ours_url; pids=$executor_pid
    else url=$nginx_url; pids=$(nginx_pids | xargs); fi
    read -r rps p50 p99 < <(run_wrk "$url")
    rss=$(rss_kib $pids)
    hwm=0
    for p in $pids; do
      hwm=$((hwm + $(awk '/^VmHWM:/{print $2}' "/proc/$p/status")))
    done
    printf '%-6s %-6s %10s %9s %9s %9s %9s\n' "$r" "$side" "$rps" "$p50" "$p99" "$rss" "$hwm"
    echo "$r $side $rps $p50 $p99 $rss $hwm" >>"$work/rows"
  done
done

col() { awk -v s="$1" -v c="$2" '$2==s{print $c}' "$work/rows" | median; }
ratio() {  # column -> median over rounds of ours/nginx
  awk -v c="$1" '$2=="ours"{o[$1]=$c} $2=="nginx"{n[$1]=$c}
    END{for (r in o) if (n[r] > 0) print o[r]/n[r]}' "$work/rows" | median
}
echo
printf '%-12s %10s %9s %9s %9s %9s\n' median "req/s" "p50 ms" "p99 ms" "RSS KiB" "HWM KiB"
for side in ours nginx; do
  printf '%-12s %10s %9s %9s %9s %9s\n' "$side" "$(col $side 3)" "$(col $side 4)" \
    "$(col $side 5)" "$(col $side 6)" "$(col $side 7)"
done
printf '%-12s %10.3f %9.3f %9.3f %9.3f %9.3f\n' "ours/nginx" "$(ratio 3)" "$(ratio 4)" \
  "$(ratio 5)" "$(ratio 6)" "$(ratio 7)"
load_line

# Sourced by the packaging tests: the classic job's check, once a
# mesos-launch running webserver.yaml writes to LOG as process PID.
#
#   expect_hello_from_server LOG PID
#
# Waits (60 s at most) for its "serving http://..." line, then GETs the URL
# and requires "Hello from Server"; calls the caller's `fail` otherwise.
expect_hello_from_server() {
  local log="$1" pid="$2" url="" body
  for _ in $(seq 1 600); do
    url="$(grep -o 'serving http://[0-9.:]*/' "$log" | head -1 | cut -d' ' -f2)"
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || fail "mesos-launch ended: $(cat "$log")"
    sleep 0.1
  done
  [ -n "$url" ] || fail "no 'serving' line in 60 s: $(cat "$log")"
  body="$(curl -fsS --max-time 10 "$url")" || fail "GET $url failed"
  [ "$body" = "Hello from Server" ] || fail "$url answered '$body'"
}

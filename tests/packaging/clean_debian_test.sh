#!/usr/bin/env bash
# The .deb packages on a clean Debian 12: debootstrap makes a minimal
# bookworm root (from deb.debian.org), `apt install ./mesos-launch_*.deb
# ./mesos-launch-executor_*.deb` installs them there with their
# dependencies, and in that root (chroot) the installed mesos-launch runs
# the installed webserver.yaml until its URL answers "Hello from Server",
# then SIGINT: exit 0. Needs root, debootstrap and the network; it takes
# about two minutes, so it is run by hand (before a release, and for
# issue #21's note), not by ctest or CI.
#
#   tests/packaging/clean_debian_test.sh BUILD_DIR
#
# KEEP_ROOT=DIR reuses (or keeps) the bookworm root in DIR.
set -uo pipefail
build_dir="$(cd "${1:?usage: clean_debian_test.sh BUILD_DIR}" && pwd)"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
source "$(dirname "$0")/classic_job.sh"
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || fail "needs debootstrap (apt-get install debootstrap)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ml-clean-debian.XXXXXX")" || fail "mktemp"
root="${KEEP_ROOT:-$work/root}"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  umount "$root/proc" 2>/dev/null
  [ -z "${KEEP_ROOT:-}" ] && rm -rf "$root"
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && cpack --config "$build_dir/CPackConfig.cmake" -B "$work/debs" >"$work/cpack.log" 2>&1) ||
  fail "cpack: $(cat "$work/cpack.log")"
if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap: $(tail -5 "$work/debootstrap.log")"
fi
cp "$work"/debs/*.deb "$root/tmp/"
mount -t proc proc "$root/proc" || fail "cannot mount /proc in the root"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  sh -c 'apt-get update -qq && apt-get install -y -qq /tmp/mesos-launch_*.deb /tmp/mesos-launch-executor_*.deb' \
  >"$work/apt.log" 2>&1 || fail "apt install: $(tail -20 "$work/apt.log")"
in_root() { chroot "$root" env -i PATH=/usr/bin:/bin HOME=/root "$@"; }
version="$(cat "$build_dir/version.txt")"
for program in mesos-launch mesos-launch-cluster mesos-launch-executor; do
  out="$(in_root "$program" --version)" || fail "$program --version: $out"
  case "$out" in
    "$program $version ("*) echo "$out" ;;
    *) fail "$program --version says '$out', the package $version" ;;
  esac
done
in_root sh -c 'mesos-launch --check /usr/share/doc/mesos-launch/examples/*.yaml' || fail "--check"

in_root mesos-launch /usr/share/doc/mesos-launch/examples/webserver.yaml >"$work/run.log" 2>&1 &
pid=$!
expect_hello_from_server "$work/run.log" "$pid"
kill -INT "$(pgrep -P "$pid" -x mesos-launch || echo "$pid")"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "mesos-launch exited $rc after SIGINT: $(cat "$work/run.log")"
echo "PASS: apt install of both packages on a clean Debian 12 ran the classic job"

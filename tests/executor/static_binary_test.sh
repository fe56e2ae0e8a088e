#!/usr/bin/env bash
# mesos-launch-executor as agents get it: one static binary with no runtime
# dependency. `file` must say "statically linked" (and "stripped"), and the
# binary must run `--version` alone in an otherwise empty root directory
# (chroot: no loader, no library, no /etc). The chroot needs root; without
# it the test skips (exit 77), except in CI (any CI value but "", 0 or
# false, as tests/fakes/ci.h reads it), where that is a failure.
#
#   static_binary_test.sh EXECUTOR
set -uo pipefail
executor="${1:?usage: static_binary_test.sh EXECUTOR}"
fail() { echo "FAIL: $1" >&2; exit 1; }
source "$(dirname "$0")/../fakes/ci.sh"

command -v file >/dev/null || fail "no 'file' command (Debian: file; scripts/setup.sh installs it)"
described="$(file -b "$executor")" || fail "file could not read $executor"
case "$described" in
  *"statically linked"*) ;;
  *) fail "$executor is not statically linked: $described" ;;
esac
case "$described" in
  *", stripped"*) ;;
  *) fail "$executor is not stripped: $described" ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  in_ci && fail "the empty-root check needs root (CI runs as root)"
  echo "SKIP: the empty-root check needs root" >&2
  exit 77
fi
root="$(mktemp -d "${TMPDIR:-/tmp}/empty-root.XXXXXX")" || fail "mktemp"
trap 'rm -rf "$root"' EXIT
cp "$executor" "$root/mesos-launch-executor" || fail "cannot copy $executor"
out="$(chroot "$root" /mesos-launch-executor --version 2>&1)"
rc=$?
[ "$rc" -eq 0 ] || fail "--version in an empty root exited $rc: $out"
case "$out" in
  "mesos-launch-executor "[0-9]*) ;;
  *) fail "--version in an empty root printed '$out'" ;;
esac
# Agents start it with no argument; anything else is a usage error (64).
chroot "$root" /mesos-launch-executor --bogus >/dev/null 2>&1
rc=$?
[ "$rc" -eq 64 ] || fail "an unknown argument exited $rc, not 64"
echo "PASS: $described; in an empty root: $out; an unknown argument exits 64"

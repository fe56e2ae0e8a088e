#!/usr/bin/env bash
# run_test.sh's CI rule (the same as tests/fakes/ci.h): with node missing it
# fails (exit 1) for any CI value but "", 0 and false, and skips (77) for
# those. node is hidden by a PATH holding only the tools the script needs
# before it looks for node.
#
#   ci_rule_test.sh RUN_TEST_SH
set -uo pipefail
run_test="${1:?usage: ci_rule_test.sh RUN_TEST_SH}"
bin="$(mktemp -d "${TMPDIR:-/tmp}/ci-rule.XXXXXX")" || exit 1
trap 'rm -rf "$bin"' EXIT
ln -s "$(command -v dirname)" "$bin/dirname"

failed=0
expect() {
  local value="$1" want="$2" got
  env -i PATH="$bin" CI="$value" /bin/bash "$run_test" /nonexistent "$bin/npm" 2>/dev/null
  got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: CI='$value': exit $got, expected $want" >&2
    failed=1
  fi
}
for value in true 1 yes TRUE 00; do expect "$value" 1; done
for value in "" 0 false FALSE; do expect "$value" 77; done
# Unset.
env -i PATH="$bin" /bin/bash "$run_test" /nonexistent "$bin/npm" 2>/dev/null
got=$?
[ "$got" -eq 77 ] || { echo "FAIL: CI unset: exit $got, expected 77" >&2; failed=1; }
[ "$failed" -eq 0 ] && echo "PASS: node missing fails for CI values that mean CI, skips otherwise"
exit "$failed"

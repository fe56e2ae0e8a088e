# Sourced by the shell tests: what tests/fakes/ci.h is to the C++ tests.
# CI is on for any value of CI but "", "0" and "false" (any case).
in_ci() {
  case "${CI:-}" in
    "" | 0 | [Ff][Aa][Ll][Ss][Ee]) return 1 ;;
    *) return 0 ;;
  esac
}

# ci_or_skip REASON: something the test needs is missing. Under CI that is
# a failure (exit 1); elsewhere the test is skipped (exit 77, ctest's
# SKIP_RETURN_CODE).
ci_or_skip() {
  if in_ci; then
    echo "FAIL: $1 (CI=${CI}, so this test does not skip)" >&2
    exit 1
  fi
  echo "SKIP: $1" >&2
  exit 77
}

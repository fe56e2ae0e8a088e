#!/usr/bin/env bash
# The embedded master's status page in headless Chromium: runs
# status_page_test.py (beside this script; what it checks is said there)
# on BIN_DIR/mesos-launch, from the source tree this script is in.
#
#   status_page_test.sh BIN_DIR
#
# It needs python3 with selenium 4 (Debian's python3-selenium), Chromium
# and its driver (Debian's chromium and chromium-driver; $CHROMIUM and
# $CHROMEDRIVER name others). Exit 77 (ctest's SKIP_RETURN_CODE) when one
# is missing -- except in CI (any CI value but "", 0 or false), where that
# is a failure (tests/fakes/ci.sh). SCREENSHOT=FILE saves a screenshot of
# the page with the task running.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
chromium="${CHROMIUM:-/usr/bin/chromium}"
chromedriver="${CHROMEDRIVER:-/usr/bin/chromedriver}"

source "$here/../fakes/ci.sh"
fail() {
  echo "FAIL: $1" >&2
  exit 1
}

bin="${1:?usage: status_page_test.sh BIN_DIR}"
[ -x "$bin/mesos-launch" ] || fail "no mesos-launch in $bin"

# The first python3 that has selenium: the one on PATH, else the system's
# (a python3 of pyenv or a virtualenv does not see Debian's packages).
python=""
found_python=""
for candidate in python3 /usr/bin/python3; do
  command -v "$candidate" >/dev/null || continue
  found_python="$candidate"
  if "$candidate" -c 'import selenium.webdriver' 2>/dev/null; then
    python="$candidate"
    break
  fi
done
[ -n "$found_python" ] || ci_or_skip "python3 is not installed (scripts/setup.sh installs it)"
[ -n "$python" ] ||
  ci_or_skip "no python3 with selenium (scripts/setup.sh installs python3-selenium)"
[ -x "$chromium" ] || ci_or_skip "no Chromium at $chromium (scripts/setup.sh installs chromium)"
[ -x "$chromedriver" ] ||
  ci_or_skip "no chromedriver at $chromedriver (scripts/setup.sh installs chromium-driver)"

exec "$python" "$here/status_page_test.py" --source-dir "$source_dir" \
  --chromium "$chromium" --chromedriver "$chromedriver" "$bin"

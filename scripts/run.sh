#!/usr/bin/env bash
# Sets up, builds and runs a spec (default specs/webserver.yaml).
#
# With --master (or MESOS_MASTER, or `master:` in the spec) it runs against
# that Mesos master. Without one, mesos-launch starts its embedded cluster (a
# Mesos master and one agent on loopback, in its own process) for the run.
# Ctrl-C stops the run cleanly. Extra arguments go to mesos-launch.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh mesos-launch mesos-launch-executor mesos-launch-cluster

spec="${1:-specs/webserver.yaml}"
[ $# -gt 0 ] && shift
exec build/bin/mesos-launch "$spec" "$@"

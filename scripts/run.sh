#!/usr/bin/env bash
# Sets up, builds and runs mesos-launch on a spec (default specs/webserver.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target mesos-launch mesos-launch-executor mesos-launch-cluster
export PATH="$PWD/build/bin:$PATH"
exec mesos-launch "${@:-specs/webserver.yaml}"

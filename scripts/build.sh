#!/usr/bin/env bash
# Configures and builds the README's build: build/, the default compiler
# (GCC), RelWithDebInfo. scripts/run.sh builds the three programs with it;
# CI builds every target with it, warnings as errors.
#
#   scripts/build.sh [--werror] [TARGET...]    (no target: all of them)
#
# --werror sets ML_WERROR=ON in build/'s cache, where it stays for later
# builds of that tree. Uses ccache when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--werror" ]; then
  args+=(-DML_WERROR=ON)
  shift
fi
if command -v ccache >/dev/null; then args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B build "${args[@]}" >/dev/null
targets=()
if [ $# -gt 0 ]; then targets=(--target "$@"); fi
cmake --build build -j "$(nproc)" "${targets[@]}"

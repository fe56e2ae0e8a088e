#!/usr/bin/env bash
# Lints the production sources (cluster/ common/ detect/ executor/
# launcher/ testing/, and the headers they include) with Debian's
# clang-tidy 14 and the checks in .clang-tidy: bugprone-*, and no function
# over 100 lines. Reads build/compile_commands.json, so build first
# (scripts/build.sh). Exits 1 on any finding.
#
#   scripts/lint.sh [FILE.cc...]    (no file: all of them)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=clang-tidy-14
if ! command -v "$tool" >/dev/null; then
  echo "lint.sh: $tool is not installed; scripts/setup.sh installs it" >&2
  exit 2
fi
if [ ! -f build/compile_commands.json ]; then
  echo "lint.sh: no build/compile_commands.json; run scripts/build.sh first" >&2
  exit 2
fi
if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'cluster/*.cc' 'common/*.cc' 'detect/*.cc' 'executor/*.cc' \
    'launcher/*.cc' 'testing/*.cc')
fi
# Two files to a clang-tidy, one clang-tidy per core.
if ! printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 2 "$tool" -p build --quiet 2> >(grep -v "warnings generated" >&2); then
  echo "lint.sh: clang-tidy found the problems above" >&2
  exit 1
fi
echo "lint.sh: ${#files[@]} files clean"

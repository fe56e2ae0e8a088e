#!/usr/bin/env bash
# Formats every C++ file git tracks (.cc, .h) in the house style
# (.clang-format: Google's, 100 columns) with Debian's clang-format 14; the
# version is pinned because each release formats a little differently.
#
#   scripts/format.sh            rewrite the files in place
#   scripts/format.sh --check    change nothing; list each file that differs
#                                and exit 1 (CI runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
tool=clang-format-14
if ! command -v "$tool" >/dev/null; then
  echo "format.sh: $tool is not installed; scripts/setup.sh installs it" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--check" ]; then
  if ! "$tool" --dry-run -Werror "${files[@]}"; then
    echo "format.sh: the files above are not in the house format; run scripts/format.sh" >&2
    exit 1
  fi
  echo "format.sh: ${#files[@]} files in the house format"
else
  "$tool" -i "${files[@]}"
fi

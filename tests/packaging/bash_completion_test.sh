#!/usr/bin/env bash
# Drives the bash completion of mesos-launch and mesos-launch-cluster as
# bash-completion does on <TAB>, and checks what it offers.
#
#   bash_completion_test.sh COMPLETION_FILE BIN_DIR
#
# COMPLETION_FILE: the installed share/bash-completion/completions/mesos-launch
# (or packaging/completion/mesos-launch.bash); BIN_DIR holds the programs,
# whose --help the completion reads. Needs Debian's bash-completion; without
# it the test is skipped (77), except under CI, where it fails.
set -uo pipefail
completion="${1:?usage: bash_completion_test.sh COMPLETION_FILE BIN_DIR}"
bin="${2:?usage: bash_completion_test.sh COMPLETION_FILE BIN_DIR}"
completion="$(realpath "$completion")"
bin="$(realpath "$bin")"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../fakes/ci.sh"

fail() {
  echo "bash_completion_test: $*" >&2
  exit 1
}
if [ ! -f /usr/share/bash-completion/bash_completion ]; then
  ci_or_skip "Debian's bash-completion is not installed (apt-get install bash-completion)"
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/completion.XXXXXX")" || fail "mktemp"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/specs/nested"
touch "$dir/specs/web.yaml" "$dir/specs/db.yml" "$dir/specs/notes.txt"

# complete LINE: what <TAB> at the end of LINE offers, one per line, sorted.
complete_line() {
  bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion
    source "$1"
    PATH="$2:$PATH"
    cd "$3"
    COMP_LINE="$4"
    COMP_POINT=${#COMP_LINE}
    read -r -a COMP_WORDS <<<"$COMP_LINE"
    [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    spec=$(complete -p "${COMP_WORDS[0]}") || exit 3
    function=${spec#*-F }
    function=${function%% *}
    "$function" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"
  ' _ "$completion" "$bin" "$dir" "$1" | sort
}

expect() {
  local line="$1" want="$2" got
  got="$(complete_line "$line")"
  [ "$got" = "$want" ] || fail "'$line<TAB>' offered [$(echo $got)], expected [$(echo $want)]"
}

expect "mesos-launch --ch" "--check"
expect "mesos-launch --executor-" "$(printf '%s\n' --executor-checksum --executor-from-path --executor-uri)"
expect "mesos-launch --output " "$(printf '%s\n' json text)"
# A spec argument: .yaml and .yml files, and directories to go into.
expect "mesos-launch specs/" "$(printf '%s\n' specs/db.yml specs/nested specs/web.yaml)"
expect "mesos-launch --check specs/w" "specs/web.yaml"
# A directory flag offers directories only; a free-form value nothing.
expect "mesos-launch --state-dir specs/" "specs/nested"
expect "mesos-launch --master " ""
expect "mesos-launch-cluster --work" "--work-dir"
expect "mesos-launch-cluster --port " ""
# mesos-launch-cluster takes no spec.
expect "mesos-launch-cluster specs/w" ""
echo "bash_completion_test: ok"

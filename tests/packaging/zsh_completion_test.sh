#!/usr/bin/env bash
# Drives the zsh completion of mesos-launch and mesos-launch-cluster in a
# real interactive zsh (on a pseudo-terminal, zsh/zpty), presses <TAB> and
# checks the candidates it offered (compadd is wrapped to record them).
#
#   zsh_completion_test.sh COMPLETION_DIR BIN_DIR
#
# COMPLETION_DIR holds _mesos-launch (packaging/completion, or the installed
# share/zsh/vendor-completions); BIN_DIR the programs, whose --help the
# completion reads. Without zsh it is skipped (77), except under CI.
set -uo pipefail
completion_dir="$(realpath "${1:?usage: zsh_completion_test.sh COMPLETION_DIR BIN_DIR}")"
bin="$(realpath "${2:?usage: zsh_completion_test.sh COMPLETION_DIR BIN_DIR}")"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../fakes/ci.sh"
fail() {
  echo "zsh_completion_test: $*" >&2
  exit 1
}
command -v zsh >/dev/null || ci_or_skip "zsh is not installed (apt-get install zsh)"

dir="$(mktemp -d "${TMPDIR:-/tmp}/zsh-completion.XXXXXX")" || fail "mktemp"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/specs/nested"
touch "$dir/specs/web.yaml" "$dir/specs/db.yml" "$dir/specs/notes.txt"

# The driver: starts `zsh -f -i` on a pty with the completion on its fpath,
# types LINE and <TAB>, waits (up to 2 s) for candidates, then runs a
# command that writes a marker, so that everything before it was done.
cat >"$dir/drive.zsh" <<'ZSH'
zmodload zsh/zpty
dir=$1 bin=$2 work=$3 line=$4 out=$5
: >| $out
zpty z zsh -f -i
zpty -w z "PS1='> '; PATH=$bin:\$PATH; cd $work; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -d $work/.zcompdump"
zpty -w z "compadd() { local -a found; builtin compadd -O found \"\$@\"; print -rl -- \$found >> $out; builtin compadd \"\$@\"; }"
zpty -w -n z "$line"$'\t'
for i in {1..20}; do [[ -s $out ]] && break; sleep 0.1; done
zpty -w z $'\C-e\C-u'"print -r -- __done__ >> $out"
for i in {1..100}; do grep -q __done__ $out && break; sleep 0.1; done
zpty -d z
ZSH

# offered LINE: the candidates <TAB> at the end of LINE offered, sorted.
offered() {
  zsh -f "$dir/drive.zsh" "$completion_dir" "$bin" "$dir" "$1" "$dir/out" </dev/null
  grep -q __done__ "$dir/out" || fail "zsh did not finish completing '$1'"
  grep -v -e '^$' -e '^__done__$' "$dir/out" | sort -u
}
# expect LINE WANTED... : each WANTED is offered; a WANTED of !X: X is not.
expect() {
  local line="$1" got
  shift
  got="$(offered "$line")"
  for want in "$@"; do
    if [[ $want == !* ]]; then
      grep -qxF -- "${want#!}" <<<"$got" && fail "'$line<TAB>' offered ${want#!}: [$(echo $got)]"
    else
      grep -qxF -- "$want" <<<"$got" || fail "'$line<TAB>' did not offer $want: [$(echo $got)]"
    fi
  done
  return 0
}

expect "mesos-launch --ch" --check
expect "mesos-launch --output " text json
expect "mesos-launch specs/" web.yaml db.yml nested '!notes.txt'
expect "mesos-launch --state-dir specs/" nested '!web.yaml'
expect "mesos-launch-cluster --wo" --work-dir
[ -z "$(offered "mesos-launch-cluster specs/")" ] || fail "mesos-launch-cluster offered a spec"
echo "zsh_completion_test: ok"

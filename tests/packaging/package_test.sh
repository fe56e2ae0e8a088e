#!/usr/bin/env bash
# The .deb packages as a user gets them (issue #21). Makes them with cpack
# from BUILD_DIR (already built), then:
#   - each package's name, version (the programs' full version) and
#     Depends (mesos-launch: the executor of the same version and the
#     libraries dpkg-shlibdeps found; mesos-launch-executor: nothing);
#   - lintian reports no error (its warnings are printed);
#   - both are unpacked into an empty root (dpkg -x); with only that root's
#     usr/bin on PATH and an empty environment: --version of the three
#     programs, --check of every installed example, and the installed
#     mesos-launch runs the installed webserver.yaml until its URL answers
#     "Hello from Server", then SIGINT: exit 0. It runs under strace, and no
#     file of SOURCE_DIR or BUILD_DIR is opened or run; no installed file
#     names either folder;
#   - the man pages render with no warning (man --warnings, groff -ww);
#   - bash and zsh completion from the installed files
#     (bash_completion_test.sh, zsh_completion_test.sh);
#   - the systemd unit passes systemd-analyze verify in that root, and its
#     command line starts the installed mesos-launch-cluster;
#   - `cmake --install --prefix DIR` gives the same tree, working from DIR.
#
#   package_test.sh SOURCE_DIR BUILD_DIR
#
# Needs dpkg-dev, lintian, strace, groff, man-db, bash-completion, zsh,
# systemd and curl (scripts/setup.sh): without one it skips (77), except
# under CI.
set -uo pipefail
source_dir="$(cd "${1:?usage: package_test.sh SOURCE_DIR BUILD_DIR}" && pwd)"
build_dir="$(cd "${2:?usage: package_test.sh SOURCE_DIR BUILD_DIR}" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../fakes/ci.sh"
source "$here/classic_job.sh"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
for tool in cpack:cmake pgrep:procps dpkg-deb:dpkg dpkg-shlibdeps:dpkg-dev lintian:lintian strace:strace \
            groff:groff-base man:man-db systemd-analyze:systemd curl:curl; do
  command -v "${tool%%:*}" >/dev/null ||
    ci_or_skip "${tool%%:*} is not installed (Debian ${tool#*:}; scripts/setup.sh installs it)"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/ml-package.XXXXXX")" || fail "mktemp"
launcher_pid=""
cleanup() {
  [ -n "$launcher_pid" ] && kill -KILL "$launcher_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
case "$work" in
  "$source_dir"/* | "$build_dir"/*) fail "the work dir $work is inside the tree it must not touch" ;;
esac

# --- the packages
(cd "$work" && cpack --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1) ||
  fail "cpack failed: $(cat "$work/cpack.log")"
version="$(cat "$build_dir/version.txt")"
cli="$(ls "$work"/out/mesos-launch_*.deb 2>/dev/null)"
executor="$(ls "$work"/out/mesos-launch-executor_*.deb 2>/dev/null)"
[ -f "$cli" ] && [ -f "$executor" ] || fail "cpack made $(ls "$work/out")"
field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$cli" Package)" = mesos-launch ] || fail "package name $(field "$cli" Package)"
[ "$(field "$executor" Package)" = mesos-launch-executor ] || fail "package name $(field "$executor" Package)"
for deb in "$cli" "$executor"; do
  [ "$(field "$deb" Version)" = "$version" ] || fail "$deb has version $(field "$deb" Version), not $version"
done
depends="$(field "$cli" Depends)"
case "$depends" in
  *"mesos-launch-executor (= $version)"*) ;;
  *) fail "mesos-launch does not depend on its executor: $depends" ;;
esac
for lib in libc6 libprotobuf32 libcurl4 libyaml-cpp; do
  case "$depends" in
    *"$lib"*) ;;
    *) fail "mesos-launch's Depends lacks $lib (dpkg-shlibdeps): $depends" ;;
  esac
done
[ -z "$(field "$executor" Depends)" ] || fail "the static executor depends on $(field "$executor" Depends)"

# --- lintian: no error
for deb in "$cli" "$executor"; do
  lintian --fail-on error --tag-display-limit 0 "$deb" >"$work/lintian.log" 2>&1 ||
    fail "lintian found errors in $(basename "$deb"): $(cat "$work/lintian.log")"
  grep -v "running with root privileges" "$work/lintian.log" | sed "s|^|lintian: |"
done

# --- unpacked into an empty root
root="$work/root"
mkdir -p "$root" "$work/home" "$work/tmp"
dpkg -x "$cli" "$root" && dpkg -x "$executor" "$root" || fail "dpkg -x failed"
if grep -rlF -e "$source_dir" -e "$build_dir" "$root"; then
  fail "installed files name the source or build folder (above)"
fi
run() { env -i PATH="$root/usr/bin" HOME="$work/home" TMPDIR="$work/tmp" "$@"; }
for program in mesos-launch mesos-launch-cluster mesos-launch-executor; do
  out="$(run "$program" --version)" || fail "$program --version failed: $out"
  case "$out" in
    "$program $version ("*) ;;
    *) fail "$program --version says '$out', the package $version" ;;
  esac
done
examples="$root/usr/share/doc/mesos-launch/examples"
[ -f "$examples/webserver.yaml" ] || fail "no webserver.yaml in $examples: $(ls "$examples")"
run mesos-launch --check "$examples"/*.yaml || fail "--check of the installed examples failed"
grep -q '\$schema=../../../mesos-launch/mesos-launch.schema.json' "$examples/webserver.yaml" ||
  fail "the installed examples' modeline does not point at the installed schema"
[ -f "$root/usr/share/mesos-launch/mesos-launch.schema.json" ] || fail "no installed schema"

# The classic job from the installed files alone.
(cd "$work" && exec env -i PATH="$root/usr/bin" HOME="$work/home" TMPDIR="$work/tmp" \
  "$(command -v strace)" -f -qq -e trace=execve,open,openat,stat,newfstatat,access -o "$work/trace" \
  mesos-launch "$examples/webserver.yaml" >"$work/run.log" 2>&1) &
launcher_pid=$!  # strace's, which exits as mesos-launch does
expect_hello_from_server "$work/run.log" "$launcher_pid"
kill -INT "$(pgrep -P "$launcher_pid" -x mesos-launch)" || fail "no mesos-launch under strace"
wait "$launcher_pid"
rc=$?
launcher_pid=""
[ "$rc" -eq 0 ] || fail "mesos-launch exited $rc after SIGINT: $(cat "$work/run.log")"
if grep -F -e "\"$source_dir/" -e "\"$build_dir/" "$work/trace" | head -5 | grep .; then
  fail "the installed programs opened or ran files of the source or build tree (above)"
fi
grep -q "execve(\"$root/usr/bin/mesos-launch-executor\"" "$work/trace" ||
  fail "the installed executor was not the one run: $(grep -o 'execve("[^"]*mesos-launch-executor"' "$work/trace" | sort -u)"

# --- man pages
for page in man1/mesos-launch.1 man1/mesos-launch-cluster.1 man1/mesos-launch-executor.1 \
            man5/mesos-launch-spec.5; do
  file="$root/usr/share/man/$page.gz"
  [ -f "$file" ] || fail "no $page.gz"
  warnings="$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$file" 2>&1 >/dev/null)"
  [ -z "$warnings" ] || fail "man -l $page warns: $warnings"
  [ "$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$file" 2>/dev/null | wc -l)" -gt 40 ] || fail "$page is nearly empty"
done

# Every flag a program's --help lists is in its man page.
for program in mesos-launch mesos-launch-cluster; do
  page="$(zcat "$root/usr/share/man/man1/$program.1.gz")"
  for flag in $(run "$program" --help | grep -oE '^ *(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'); do
    grep -qF -- "${flag//-/\\-}" <<<"$page" || fail "$program.1 does not describe $flag"
  done
done

# --- completion, from the installed files
bash "$here/bash_completion_test.sh" "$root/usr/share/bash-completion/completions/mesos-launch" \
  "$root/usr/bin" || fail "bash completion (above)"
[ -f "$root/usr/share/bash-completion/completions/mesos-launch-cluster" ] ||
  fail "no completion for mesos-launch-cluster"
bash "$here/zsh_completion_test.sh" "$root/usr/share/zsh/vendor-completions" "$root/usr/bin" ||
  fail "zsh completion (above)"

# --- the systemd unit
unit="$root/usr/lib/systemd/system/mesos-launch-cluster.service"
[ -f "$unit" ] || fail "no systemd unit"
# Verified in a copy of the root that also has the machine's targets and
# slices (what every service is ordered against), finding the program as
# systemd would.
cp -a "$root" "$work/unit-root"
cp -a /lib/systemd/system/*.target /lib/systemd/system/*.slice "$work/unit-root/usr/lib/systemd/system/"
verify="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no --root="$work/unit-root" \
  /usr/lib/systemd/system/mesos-launch-cluster.service 2>&1)" || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
if [ -e "$root/etc/systemd/system/multi-user.target.wants/mesos-launch-cluster.service" ]; then
  fail "the unit is enabled; it must be installed disabled"
fi
# Its command line, with the work dir and port of a test, runs the
# installed mesos-launch-cluster.
exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
read -r -a argv <<<"$exec_start"
[ "${argv[0]}" = mesos-launch-cluster ] || fail "ExecStart runs ${argv[0]}"
argv=("${argv[@]//\/var\/lib\/mesos-launch\/cluster/$work/cluster}")
argv=("${argv[@]/#5050/0}")
(exec env -i PATH="$root/usr/bin" HOME="$work/home" TMPDIR="$work/tmp" "${argv[@]}" \
  >"$work/cluster.log" 2>&1) &
launcher_pid=$!
for _ in $(seq 1 300); do
  grep -q "master listening on" "$work/cluster.log" && break
  kill -0 "$launcher_pid" 2>/dev/null || fail "the unit's command ended: $(cat "$work/cluster.log")"
  sleep 0.1
done
grep -q "master listening on" "$work/cluster.log" || fail "the unit's command did not start: $(cat "$work/cluster.log")"
kill -TERM "$launcher_pid"
wait "$launcher_pid" || fail "the unit's command exited $? on SIGTERM: $(cat "$work/cluster.log")"
launcher_pid=""
[ -f "$work/cluster/registry.json" ] || [ -n "$(ls "$work/cluster")" ] || fail "nothing in the work dir"

# --- `cmake --install` into any prefix: the same tree, working from there
cmake --install "$build_dir" --prefix "$work/stage" >"$work/install.log" 2>&1 ||
  fail "cmake --install failed: $(cat "$work/install.log")"
for program in mesos-launch mesos-launch-cluster mesos-launch-executor; do
  [ -x "$work/stage/bin/$program" ] || fail "cmake --install put no bin/$program"
done
env -i PATH="$work/stage/bin" HOME="$work/home" mesos-launch --check \
  "$work/stage/share/doc/mesos-launch/examples/"*.yaml || fail "--check in the installed prefix failed"
# (Its programs are not stripped, so their debug information names the
# source files; the packages' programs are, and were checked above.)
if grep -rlF -e "$source_dir" -e "$build_dir" "$work/stage/share" "$work/stage/lib"; then
  fail "files cmake --install wrote name the source or build folder (above)"
fi

echo "PASS: $(basename "$cli") and $(basename "$executor") install, run the classic job and read well"

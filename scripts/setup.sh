#!/usr/bin/env bash
# Installs every build and test dependency of mesos-launch from Debian's packages.
# (The static executor links the .a files of libarchive's own dependencies:
# nettle, acl, lzma, zstd, bz2, z.)
# Idempotent: when everything is present it only checks and returns.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev libprotobuf-dev protobuf-compiler
  libcurl4-openssl-dev libspdlog-dev libcxxopts-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libboost-dev libarchive-dev libzookeeper-mt-dev libssl-dev openssl
  libre2-dev
  clang libclang-rt-14-dev
  # The house format and lint (scripts/format.sh, scripts/lint.sh).
  clang-format-14 clang-tidy-14
  python3 python3-jsonschema python3-yaml curl ccache file zlib1g-dev
  nettle-dev libacl1-dev liblzma-dev libzstd-dev libbz2-dev
  zookeeper default-jre-headless
  # Packaging and its tests (tests/packaging): cpack's dpkg-shlibdeps, lintian,
  # the man pages rendered, bash and zsh completion driven, the systemd unit verified,
  # the installed programs traced.
  dpkg-dev lintian man-db groff-base bash-completion zsh systemd strace procps
  # Tasks in container images on the embedded cluster (tests/e2e/container_test.cc):
  # podman with runc, and busybox to make a test image from.
  podman runc busybox-static
  # mesos-go's copy of the Mesos v1 protos (with gogo.proto), to decode our
  # scheduler calls with (tests/third_party/mesos_go_calls_test.sh). Its
  # dependencies are Go sources only; --no-install-recommends below keeps
  # out the gogoprotobuf tools (~42 MB) that golang-github-gogo-protobuf-dev
  # recommends.
  golang-github-mesos-mesos-go-dev
  # The status page in a real browser (tests/e2e/status_page_test.sh):
  # headless Chromium driven by Selenium, with a font to render text.
  chromium chromium-driver python3-selenium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# Node.js and npm run the third-party framework test (tests/third_party).
# Debian's packages only when there is no node/npm at all: a NodeSource
# `nodejs` already bundles npm and conflicts with Debian's `npm` package.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"

#!/usr/bin/env bash
# Fetches Debian source packages used as real workloads by the tests, the benchmark and the main
# job, into $SOURCES_DIR (default .work/sources). Enables deb-src entries for Debian's archive if
# none are configured. Idempotent: a package already unpacked is not fetched again.
#
# Usage: scripts/fetch-sources.sh [package...]   (default: lua5.4 leveldb libzstd)
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCES_DIR=${SOURCES_DIR:-$PWD/.work/sources}
packages=("$@")
((${#packages[@]})) || packages=(lua5.4 leveldb libzstd)
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

mkdir -p "$SOURCES_DIR"
missing=()
for p in "${packages[@]}"; do
  compgen -G "$SOURCES_DIR/$p-*/" >/dev/null || missing+=("$p")
done
((${#missing[@]})) || exit 0

if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  echo "fetch-sources: enabling deb-src for Debian $codename"
  $SUDO tee /etc/apt/sources.list.d/sccache-deb-src.sources >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $SUDO apt-get update -q
fi
command -v dpkg-source >/dev/null || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q dpkg-dev
cd "$SOURCES_DIR"
for p in "${missing[@]}"; do
  echo "fetch-sources: apt-get source $p"
  apt-get source -q "$p" >/dev/null
done
ls -d "$SOURCES_DIR"/*/

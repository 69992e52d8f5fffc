#!/usr/bin/env bash
# Installs every Debian package needed to build, test and run the project.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libpoco-dev libtomlplusplus-dev libssl-dev libarchive-dev libzstd-dev
  libspdlog-dev libfmt-dev catch2
  bubblewrap zstd curl ca-certificates sudo procps bc dpkg-dev clang libclang-rt-14-dev binutils make
  docker.io # the docker builder ([builder] type = "docker"); scripts/start-dockerd.sh starts it
  redis-server # the Redis cache tests (test_redis_store) run a real one
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"

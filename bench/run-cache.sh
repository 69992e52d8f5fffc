#!/usr/bin/env bash
# The compile cache's benchmark, in one command: builds zstd's library (make) and leveldb (CMake +
# Ninja) from Debian's source packages through our sccache, Debian's ccache and Debian's sccache
# 0.4 (warm rebuilds), through ours with the cache on and off (cold builds), and through ours with
# every hit from a redis-server on 127.0.0.1; times one tiny compile's hit per tool; checks our
# objects against a plain build's. Writes bench/cache-results.md and the README's figures.
#
# Usage: bench/run-cache.sh [cache_bench.py options]   (--quick: 1 run, zstd only; --help)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
unset BUILD_DIR  # zstd's Makefile would take it as its object directory

# The tools compared, and what the two projects build with (idempotent, as install-deps.sh).
packages=(ccache sccache redis-server make cmake ninja-build gcc g++)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "run-cache: installing ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Our build is used as it is when there is one (someone may be working in it).
[[ -x "$build_dir/bin/sccache" ]] || BUILD_DIR="$build_dir" bash scripts/build.sh
bash scripts/fetch-sources.sh leveldb libzstd
exec python3 bench/cache_bench.py --build-dir "$build_dir" "$@"

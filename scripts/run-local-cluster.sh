#!/usr/bin/env bash
# The main job: sets up a fresh Debian machine, builds and installs sccache-dist and sccache, starts
# a scheduler and a build server on this machine from examples/local-cluster (the quickstart's
# configs pointed at 127.0.0.1), shows the cluster with `sccache --dist-status`, then builds a real
# project (zstd, from Debian's source package) with CMAKE_C_COMPILER_LAUNCHER=sccache and prints
# the statistics showing where each compile ran; then builds it again from a clean build tree
# and prints the statistics showing that build served from the compile cache.
#
# The daemons are stopped at the end unless KEEP_RUNNING=1. Logs go to $WORK_DIR (default .work/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK_DIR=${WORK_DIR:-$ROOT/.work}
PREFIX=${PREFIX:-/usr/local}
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/start-dockerd.sh # for servers with [builder] type = "docker"
$SUDO cmake --install build --prefix "$PREFIX" >/dev/null
export PATH="$PREFIX/bin:$PATH"
echo "installed: $(command -v sccache-dist) and $(command -v sccache)"

mkdir -p "$WORK_DIR"
EXAMPLES=$ROOT/examples/local-cluster
pids=()
cleanup() {
  if [[ "${KEEP_RUNNING:-0}" != 1 ]]; then
    for pid in "${pids[@]}"; do $SUDO kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  fi
}
trap cleanup EXIT

# The quickstart's commands, as written.
(cd "$EXAMPLES" && exec sccache-dist scheduler --config scheduler.conf) \
  >"$WORK_DIR/scheduler.log" 2>&1 &
pids+=($!)
(cd "$EXAMPLES" && exec $SUDO sccache-dist server --config server.conf) \
  >"$WORK_DIR/server.log" 2>&1 &
pids+=($!)

export SCCACHE_CONF=$EXAMPLES/client.conf
# A compile cache of this run's own, empty at first: the first build goes to the cluster.
export SCCACHE_DIR=$WORK_DIR/sccache-cache
rm -rf "$SCCACHE_DIR"
sccache --stop-server >/dev/null 2>&1 || true # a server of an earlier run knows another cache
for _ in $(seq 1 100); do
  if sccache --dist-status --json 2>/dev/null | grep -q '"num_servers":1'; then
    break
  fi
  sleep 0.2
done
if ! sccache --dist-status --json | grep -q '"num_servers":1'; then
  echo "the build server did not register; logs:" >&2
  tail -n 20 "$WORK_DIR/scheduler.log" "$WORK_DIR/server.log" >&2
  exit 1
fi
sccache --dist-status
echo

# A real project through the cluster.
bash scripts/fetch-sources.sh libzstd
ZSTD_SRC=$(ls -d "${SOURCES_DIR:-$ROOT/.work/sources}"/libzstd-*/ | head -n 1)
ZSTD_BUILD=$WORK_DIR/zstd-build
build_zstd() { # $1: what this build is
  rm -rf "$ZSTD_BUILD"
  sccache --zero-stats >/dev/null
  echo "building zstd ($ZSTD_SRC) with CMAKE_C_COMPILER_LAUNCHER=sccache: $1 ..."
  cmake -S "$ZSTD_SRC/build/cmake" -B "$ZSTD_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER_LAUNCHER=sccache -DCMAKE_CXX_COMPILER_LAUNCHER=sccache \
    -DZSTD_BUILD_PROGRAMS=ON -DZSTD_BUILD_TESTS=OFF -DZSTD_BUILD_SHARED=OFF >"$WORK_DIR/zstd-cmake.log"
  local start end
  start=$(date +%s.%N)
  cmake --build "$ZSTD_BUILD" -j "$(nproc)" >"$WORK_DIR/zstd-build.log"
  end=$(date +%s.%N)
  "$ZSTD_BUILD/programs/zstd" --version
  printf 'zstd built in %.1f s\n\n' "$(echo "$end - $start" | bc)"
  sccache --show-stats
  echo
}
build_zstd "the first build, on the cluster"
build_zstd "again from a clean build tree, from the compile cache"
sccache --stop-server >/dev/null
echo "logs: $WORK_DIR/scheduler.log $WORK_DIR/server.log $WORK_DIR/zstd-build.log"

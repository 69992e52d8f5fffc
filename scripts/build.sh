#!/usr/bin/env bash
# Configures and builds the project into ./build (or $BUILD_DIR). Warnings are errors when CI is
# set (as in CI) or SCCACHE_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
WERROR=${SCCACHE_WERROR:-$([[ -n "${CI:-}" ]] && echo ON || echo OFF)}
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
if [[ ! -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSCCACHE_WERROR="$WERROR"
else
  cmake -S . -B "$BUILD_DIR" -DSCCACHE_WERROR="$WERROR" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"

#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds everything and runs every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/fetch-sources.sh
bash scripts/start-dockerd.sh # the docker builder's tests need an engine; they skip loudly without
BUILD_DIR=${BUILD_DIR:-build}
status=0
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 900 "$@") || status=$?
# The fuzzers' smoke runs (tests/fuzz: 30 s each from their seeds, ASan + UBSan), in a clang
# tree of their own; scripts/fuzz.sh runs them for longer. Two at a time at most, so the step
# stays near 5 minutes whatever the machine, and leaves CPUs to others on a shared one.
# SCCACHE_SKIP_FUZZ=1 leaves them out.
if [[ -z "${SCCACHE_SKIP_FUZZ:-}" ]]; then
  FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
  if [[ ! -f "$FUZZ_BUILD_DIR/CMakeCache.txt" ]]; then
    CC=clang CXX=clang++ cmake -S . -B "$FUZZ_BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCCACHE_FUZZ=ON >/dev/null
  fi
  cmake --build "$FUZZ_BUILD_DIR" --target fuzzers -j "$(nproc)" || status=$?
  (cd "$FUZZ_BUILD_DIR" && ctest --output-on-failure -j 2 -L fuzz) || status=$?
fi
exit $status

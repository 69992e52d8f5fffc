#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds everything and runs every test (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/fetch-sources.sh
bash scripts/start-dockerd.sh # the docker builder's tests need an engine; they skip loudly without
BUILD_DIR=${BUILD_DIR:-build}
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 900 "$@"

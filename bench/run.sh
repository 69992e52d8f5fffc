#!/usr/bin/env bash
# The benchmark, in one command: builds the same real project (zstd's library, from Debian's
# source package) on this machine: locally with make -j$(nproc), through distcc to a distccd on
# 127.0.0.1, and through our scheduler + build server on 127.0.0.1 with the overlay builder and
# with the docker builder (when a Docker engine answers). Also measures the per-job overhead of one
# tiny compile, the client CPU per remote job, and how a job can reach a container (the docker
# plugin's engine-access benchmark). Writes bench/results.md and the README's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
command -v distccd >/dev/null || $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q distcc
bash scripts/build.sh
bash scripts/fetch-sources.sh libzstd
bash scripts/start-dockerd.sh # the docker builder is measured when an engine answers
build_dir=${BUILD_DIR:-build}
unset BUILD_DIR  # zstd's Makefile would take it as its object directory
exec python3 bench/bench.py --build-dir "$build_dir" "$@"

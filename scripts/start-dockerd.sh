#!/usr/bin/env bash
# Makes sure a Docker engine answers, for the docker builder ([builder] type = "docker") and its
# tests. Idempotent: when `docker info` works, does nothing. Otherwise starts
#   dockerd --iptables=false --ip6tables=false --bridge=none
# in the background (jobs never get a network, and this starts where netfilter or a bridge is
# not available, e.g. in a VM or container), logging to $DOCKERD_LOG (default
# /var/log/sccache-dockerd.log), and waits until it answers. If overlayfs cannot be used for
# image layers it retries once with the vfs storage driver.
#
# Never fails the caller: if no engine can start, it says so loudly and exits 0, so the docker
# tests skip (exit 125, "SKIPPED" in ctest) instead of failing. Needs root (or sudo) to start dockerd.
set -uo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/sccache-dockerd.log}
SOCKET=/var/run/docker.sock
if [[ "${DOCKER_HOST:-}" == unix://* ]]; then SOCKET=${DOCKER_HOST#unix://}; fi

answers() {
  if command -v docker >/dev/null; then
    timeout 10 docker info >/dev/null 2>&1
  else
    timeout 10 curl -fsS --unix-socket "$SOCKET" http://docker/_ping >/dev/null 2>&1
  fi
}

loud() {
  echo "************************************************************" >&2
  echo "*** start-dockerd: $*" >&2
  echo "*** the docker builder's tests will be SKIPPED" >&2
  echo "************************************************************" >&2
  exit 0
}

if answers; then
  echo "start-dockerd: a Docker engine answers at $SOCKET"
  exit 0
fi
command -v dockerd >/dev/null || loud "dockerd is not installed (scripts/install-deps.sh installs docker.io)"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  sudo -n true 2>/dev/null || loud "no engine answers at $SOCKET and starting dockerd needs root (or sudo)"
  SUDO="sudo -n"
fi

pid=""
start() {
  echo "start-dockerd: starting dockerd $* (log: $DOCKERD_LOG)"
  $SUDO mkdir -p "$(dirname "$DOCKERD_LOG")"
  pid=$($SUDO sh -c "setsid dockerd --host 'unix://$SOCKET' --iptables=false --ip6tables=false \
    --bridge=none $* >>'$DOCKERD_LOG' 2>&1 </dev/null & echo \$!")
  for _ in $(seq 1 120); do
    answers && return 0
    $SUDO kill -0 "$pid" 2>/dev/null || return 1 # it gave up
    sleep 0.5
  done
  $SUDO kill "$pid" 2>/dev/null # started but never answered
  return 1
}

if start || start --storage-driver=vfs; then
  echo "start-dockerd: the Docker engine answers at $SOCKET (dockerd pid $pid)"
  exit 0
fi
tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null
loud "dockerd did not start; see $DOCKERD_LOG"

#!/usr/bin/env bash
# The docker CLI, for tests/cluster/test_docker_engine.py: `wlgen cluster --engine docker`
# against podman's Docker-compatible API (`podman system service` on a private socket,
# started by the test), since CI has no Docker engine. Bookworm ships the CLI only in
# docker.io, with dockerd and containerd: APT_NO_START keeps those daemons down, and
# nothing here ever starts them. Idempotent and quiet.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
APT_NO_RECOMMENDS=1 APT_NO_START=1 apt_install docker.io
dpkg-query -W -f='docker.io ${Version}\n' docker.io
echo "docker on PATH: $(command -v docker)"

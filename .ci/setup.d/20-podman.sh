#!/usr/bin/env bash
# Podman (rootful, runc, netavark) and debootstrap: what `wlgen cluster` needs to build
# its images without a registry and run the Slurm containers. Idempotent and quiet.
# The podman settings themselves (runtime, cgroup manager, ulimits...) are not set
# here: workload.cluster writes its own containers.conf and passes it via CONTAINERS_CONF.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
APT_NO_RECOMMENDS=1 apt_install podman runc netavark aardvark-dns debootstrap uidmap \
    iptables ca-certificates
podman --version

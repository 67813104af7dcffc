#!/usr/bin/env bash
# Podman (rootful, runc, netavark) and debootstrap: what `wlgen cluster` needs to build
# its images without a registry and run the Slurm containers. Idempotent and quiet.
# The podman settings themselves (runtime, cgroup manager, ulimits...) are not set
# here: workload.cluster writes its own containers.conf and passes it via CONTAINERS_CONF.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(podman runc netavark aardvark-dns debootstrap uidmap iptables ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit)" ] \
        || apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get install -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
podman --version

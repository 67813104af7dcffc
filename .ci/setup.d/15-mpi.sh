#!/usr/bin/env bash
# Open MPI for the jobs/ kernels (mpi4py's wheels load the system libmpi at run time)
# and for the `mpirun -np 2` tests in tests/jobs. Idempotent: skips apt when installed.
set -euo pipefail
pkgs=(openmpi-bin libopenmpi-dev)
missing=()
for p in "${pkgs[@]}"; do
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] \
        || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    # Wait for a dpkg lock held by another setup step instead of failing at once.
    apt_get=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
    "${apt_get[@]}" install "${missing[@]}" >/dev/null \
        || { "${apt_get[@]}" update && "${apt_get[@]}" install "${missing[@]}" >/dev/null; }
fi
mpirun --version | head -n1

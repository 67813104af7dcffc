#!/usr/bin/env bash
# This host as a login node of a container cluster (tests/slurm/test_login_node.py):
# Slurm's client commands (sbatch, squeue, sacct; bookworm's 22.05, the version of the
# bookworm image) and munged, which `wlgen cluster login` starts on a private socket with
# the cluster's own key. The packages' system munged stays down: nothing uses its key.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
APT_NO_RECOMMENDS=1 APT_NO_START=1 apt_install slurm-client munge
# (sbatch --version would need a slurm.conf: ask the package instead)
dpkg-query -W -f='slurm-client ${Version}\n' slurm-client
command -v munged

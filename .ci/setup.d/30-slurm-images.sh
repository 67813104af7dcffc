#!/usr/bin/env bash
# Builds the Slurm images the cluster tests use: bookworm (Slurm 22.05, every cluster
# suite), trixie (24.11) and sid (26.05) (tests/slurm/test_suites.py: both Slurm clients
# on each), and the monitoring image (carbon + graphite-web + rsyslog) of `wlgen cluster
# up --monitoring`, with the project's own builder: a debootstrap base per suite (no
# registry needed) + the Containerfiles under containers/. Runs before the venv exists,
# so it uses the standard-library entry point `python3 -m workload.cluster build`.
# Idempotent: up-to-date images are kept (~1 s each); from nothing trixie and sid add
# ~80 s each (debootstrap included), the monitoring image ~40 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v podman >/dev/null || { echo "30-slurm-images: podman missing (20-podman.sh)" >&2; exit 1; }
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 -m workload.cluster build --slurm bookworm \
    --slurm trixie --slurm sid --monitoring

#!/usr/bin/env bash
# Builds the bookworm Slurm image (Slurm 22.05) the cluster tests use, and the monitoring
# image (carbon + graphite-web + rsyslog) of `wlgen cluster up --monitoring`, with the
# project's own builder: a debootstrap base (no registry needed, shared by both) + the
# Containerfiles under containers/. Runs before the venv exists, so it uses the
# standard-library entry point `python3 -m workload.cluster build`. Idempotent: up-to-date
# images are kept (~1 s); from nothing the monitoring image adds ~40 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v podman >/dev/null || { echo "30-slurm-images: podman missing (20-podman.sh)" >&2; exit 1; }
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" python3 -m workload.cluster build --slurm bookworm \
    --monitoring

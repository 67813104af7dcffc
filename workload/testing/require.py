"""What a test needs of this machine, as a reason to skip (None: it is there)."""

from __future__ import annotations

import importlib.util
import os
import shutil

from workload.backends.select import SLURM_MODULE, slurm_reachable


def missing_root() -> str | None:
    return None if os.geteuid() == 0 else "needs root (rootful containers, tc, namespaces)"


def missing_container_engine() -> str | None:
    if shutil.which("podman") or shutil.which("docker"):
        return None
    return "needs podman or Docker (neither is on PATH)"


def missing_slurm_backend() -> str | None:
    if importlib.util.find_spec(SLURM_MODULE) is not None:
        return None
    return (f"the Slurm backend ({SLURM_MODULE}) is not part of this build yet: "
            "wlgen cannot submit to a real cluster")


def wlgen_cluster_running(name: str = "wlgen") -> bool:
    from workload.cluster import Cluster
    from workload.errors import ClusterError

    try:
        return Cluster.load(name).is_running()
    except (ClusterError, OSError):
        return False


def missing_slurm() -> str | None:
    """A backend, and a Slurm to talk to: a running wlgen cluster or this host's Slurm."""
    backend = missing_slurm_backend()
    if backend:
        return backend
    if wlgen_cluster_running() or slurm_reachable():
        return None
    return "needs Slurm: no wlgen cluster running and scontrol ping finds no controller UP"


def missing_cluster_capability() -> str | None:
    """Why a containerised Slurm cluster can't be brought up here, or None."""
    for probe in (missing_slurm_backend, missing_root, missing_container_engine):
        reason = probe()
        if reason:
            return reason
    return None


REQUIREMENTS = {
    "requires_root": missing_root,
    "requires_podman": missing_container_engine,
    "requires_slurm": missing_slurm,
}

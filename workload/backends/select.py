"""Choose a backend: ``sim``, ``slurm``, or ``auto`` (Slurm when reachable, else sim)."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess

from workload.backends.base import Backend, ClusterInfo
from workload.backends.sim import SimBackend
from workload.errors import BackendError, InputError

BACKENDS = ("auto", "sim", "slurm")
DEFAULT_CLUSTER = "wlgen"   # what an unnamed run means by its container cluster
SLURM_MODULE = "workload.backends.slurm"   # the Slurm clients (CLI and REST)


def slurm_reachable(timeout_s: float = 3.0) -> bool:
    """True when this host's Slurm answers ``scontrol ping`` with a controller UP."""
    scontrol = shutil.which("scontrol")
    if not scontrol:
        return False
    try:
        done = subprocess.run([scontrol, "ping"], capture_output=True, text=True,
                              timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and "UP" in done.stdout


def slurm_backend_available() -> bool:
    return importlib.util.find_spec(SLURM_MODULE) is not None


def cluster_running(name: str) -> bool:
    """True when the wlgen container cluster ``name`` is up (every container running)."""
    from workload.cluster import Cluster
    from workload.errors import ClusterError
    try:
        return Cluster.load(name).is_running()
    except (ClusterError, OSError):
        return False


def target_cluster(cluster: str | None) -> str | None:
    """The wlgen container cluster a run means, or None for this host's Slurm clients.

    A named one (``--cluster NAME``) wins; unnamed, the default cluster, unless SLURM_CONF
    is set: then the user has pointed this host's clients at a Slurm (a login node)."""
    if cluster is not None:
        return cluster or None
    return None if os.environ.get("SLURM_CONF") else DEFAULT_CLUSTER


def choose(kind: str, cluster: str | None = None) -> tuple[str, str]:
    """Resolve ``auto`` to ``sim`` or ``slurm``, with why (for one line to the user)."""
    if kind not in BACKENDS:
        raise InputError(f"--backend must be one of {', '.join(BACKENDS)}, got {kind!r}")
    if kind != "auto":
        return kind, "asked for"
    if not slurm_backend_available():
        return "sim", "no Slurm backend in this build"
    named = target_cluster(cluster)
    if named and cluster_running(named):
        return "slurm", f"wlgen cluster {named!r} is running"
    if slurm_reachable():
        return "slurm", "scontrol ping answered"
    return "sim", "no Slurm reachable"   # no wlgen cluster of that name, no scontrol ping


def make_backend(kind: str, sim_cluster: ClusterInfo, *, policy: str = "easy",
                 realtime: bool = False, **slurm_options: object) -> Backend:
    """The backend for an already resolved kind (see ``choose``)."""
    if kind == "sim":
        return SimBackend(sim_cluster, policy, realtime=realtime)
    if not slurm_backend_available():
        raise BackendError("the Slurm backend is not part of this build yet; use --backend sim")
    module = importlib.import_module(SLURM_MODULE)
    return module.make_backend(**slurm_options)

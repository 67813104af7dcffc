"""Real Slurm backends: the client commands (``cli``) or slurmrestd (``rest``).

``make_backend(client="cli", cluster="wlgen")`` talks to a wlgen container cluster when
one of that name is up (commands run inside its controller through a relay, jobs run as
the trace's users), otherwise to this host's Slurm (SLURM_CONF, a real login node).
With no cluster named, a set SLURM_CONF means this host's Slurm (see select.target_cluster).
"""

from __future__ import annotations

import os

from workload.backends.base import Backend
from workload.backends.select import target_cluster
from workload.errors import InputError

CLIENTS = ("cli", "rest")


def make_backend(*, client: str = "cli", cluster: str | None = None,
                 slurm_url: str | None = None, slurm_token: str | None = None,
                 workers: int = 8, launcher: str = "srun", arrays: bool = True,
                 **_: object) -> Backend:
    """The Slurm backend for ``client``; see the module docstring for what it reaches.

    ``arrays`` (both clients): jobs of one shape due at one instant go as one array job."""
    if client not in CLIENTS:
        raise InputError(f"--slurm-client must be one of {', '.join(CLIENTS)}", value=client)
    found = _container_cluster(target_cluster(cluster))
    if client == "rest":
        from workload.backends.slurm.rest import make_rest_backend  # noqa: PLC0415
        return make_rest_backend(found, slurm_url or os.environ.get("SLURM_URL"),
                                 slurm_token or os.environ.get("SLURM_JWT"),
                                 workers=workers, launcher=launcher, arrays=arrays)
    from workload.backends.slurm.cli import CliBackend
    from workload.backends.slurm.runner import LocalRunner, RelayRunner
    from workload.backends.slurm.users import UserMap
    if found is None:
        return CliBackend(LocalRunner(), workers=workers, launcher=launcher, arrays=arrays)
    runner = RelayRunner(found.exec_argv("ctld", [], interactive=True), found.exec_env())
    return CliBackend(runner, users=UserMap(found.add_users), account="wlgen",
                      workers=workers, launcher=launcher, cluster_name=found.name, arrays=arrays,
                      mem_per_cpu_mb=found.spec.mem_per_cpu_mb)


def _container_cluster(name: str | None):
    """The running wlgen container cluster ``name``, or None (then: this host's Slurm)."""
    if not name:
        return None
    from workload.cluster import Cluster
    from workload.errors import ClusterError
    try:
        cluster = Cluster.load(name)
    except ClusterError:
        return None
    return cluster if cluster.is_running() else None

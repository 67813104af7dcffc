"""Real Slurm: one backend (backend.SlurmBackend) over a client, the commands (``cli``)
or slurmrestd (``rest``).

``make_backend(client="cli", cluster="wlgen")`` talks to a wlgen container cluster when
one of that name is up (commands run inside its controller through a relay, jobs run as
the trace's users), otherwise to this host's Slurm (SLURM_CONF, a real login node).
With no cluster named, a set SLURM_CONF means this host's Slurm (see select.target_cluster).
"""

from __future__ import annotations

import math
import os
from typing import Any

from workload.backends.base import Backend
from workload.backends.select import target_cluster
from workload.backends.slurm.contact import DEFAULT_TIMEOUT_S
from workload.errors import InputError

CLIENTS = ("cli", "rest")


def make_backend(*, client: str = "cli", cluster: str | None = None,
                 slurm_url: str | None = None, slurm_token: str | None = None,
                 workers: int = 8, launcher: str = "srun", arrays: bool = True,
                 controller_timeout: float | None = None, **_: object) -> Backend:
    """The Slurm backend for ``client``; see the module docstring for what it reaches.

    ``arrays`` (both clients): jobs of one shape due at one instant go as one array job.
    ``controller_timeout`` (s): how long slurmctld may stay silent before the run ends."""
    if client not in CLIENTS:
        raise InputError(f"--slurm-client must be one of {', '.join(CLIENTS)}", value=client)
    timeout = DEFAULT_TIMEOUT_S if controller_timeout is None else controller_timeout
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise InputError("must be a finite number of seconds > 0", field="--controller-timeout",
                         value=timeout)
    found = _container_cluster(target_cluster(cluster))
    from workload.backends.slurm.backend import SlurmBackend
    common: dict[str, Any] = dict(workers=workers, launcher=launcher, arrays=arrays,
                  controller_timeout_s=timeout)
    if client == "rest":
        from workload.backends.slurm.rest import rest_client  # noqa: PLC0415
        made, served = rest_client(found, slurm_url or os.environ.get("SLURM_URL"),
                                   slurm_token or os.environ.get("SLURM_JWT"))
        if served is None:   # a slurmrestd known by URL: jobs run as the token's user
            return SlurmBackend(made, cluster_name=made.http.url, **common)
        return _on_cluster(made, served, common)
    from workload.backends.slurm.cli import CliClient
    from workload.backends.slurm.runner import LocalRunner, RelayRunner
    if found is None:
        return SlurmBackend(CliClient(LocalRunner()), **common)
    runner = RelayRunner(found.exec_argv("ctld", [], interactive=True), found.exec_env())
    return _on_cluster(CliClient(runner), found, common)


def _on_cluster(client: Any, cluster: Any, common: dict[str, Any]) -> Backend:
    """A wlgen container cluster: jobs run as the trace's users under account wlgen, and
    each CPU gets its share of a node's memory (slurm.conf has no DefMemPerCPU)."""
    from workload.backends.slurm.backend import SlurmBackend
    from workload.backends.slurm.users import UserMap
    return SlurmBackend(client, users=UserMap(cluster.add_users), account="wlgen",
                        cluster_name=cluster.name, mem_per_cpu_mb=cluster.spec.mem_per_cpu_mb,
                        **common)


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

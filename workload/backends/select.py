"""The one backend factory: ``sim``, ``slurm``, or ``auto`` (Slurm when reachable, else sim).

``choose`` resolves ``auto``; ``make_backend`` builds the backend for a resolved kind:
the simulator (with a scenario's faults, requeue and calibration when given) or the
Slurm backend (``workload.backends.slurm.make_backend``) on the cluster it names, wrapped
in the Slurm fault driver when there are faults. Every caller (the CLI, scenarios, the
pytest plugin and tests) builds its backend here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from workload.backends.base import Backend, ClusterInfo
from workload.errors import BackendError, InputError
from workload.fault import Fault
from workload.slurmconf import SlurmConfig

if TYPE_CHECKING:
    from workload.backends.sim.calibrate import Calibration

BACKENDS = ("auto", "sim", "slurm")
DEFAULT_CLUSTER = "wlgen"   # what an unnamed run means by its container cluster


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


def target_cluster(cluster: str | None) -> str | None:
    """The wlgen container cluster a run means, or None for this host's Slurm clients.

    A named one (``--cluster NAME``) wins; unnamed, the default cluster, unless SLURM_CONF
    is set: then the user has pointed this host's clients at a Slurm (a login node)."""
    if cluster is not None:
        return cluster or None
    return None if os.environ.get("SLURM_CONF") else DEFAULT_CLUSTER


def choose(kind: str, cluster: str | None = None) -> tuple[str, str]:
    """Resolve ``auto`` to ``sim`` or ``slurm``, with why (for one line to the user)."""
    from workload.cluster import Cluster

    if kind not in BACKENDS:
        raise InputError(f"--backend must be one of {', '.join(BACKENDS)}, got {kind!r}")
    if kind != "auto":
        return kind, "asked for"
    named = target_cluster(cluster)
    if named and Cluster.running(named):
        return "slurm", f"wlgen cluster {named!r} is running"
    if slurm_reachable():
        return "slurm", "scontrol ping answered"
    return "sim", "no Slurm reachable"   # no wlgen cluster of that name, no scontrol ping


def make_backend(kind: str, sim_cluster: ClusterInfo, *, policy: str = "easy",
                 realtime: bool = False, faults: Sequence[Fault] = (), requeue: bool = True,
                 calibration: Calibration | None = None, slurm: SlurmConfig | None = None,
                 **slurm_options: Any) -> Backend:
    """The backend for an already resolved kind (see ``choose``).

    sim: ``sim_cluster`` run by ``policy``; ``faults`` (node_down/node_up), ``requeue``
    and ``calibration`` as a scenario gives them; ``slurm`` (or ``policy`` "slurm": the
    container cluster's settings) makes it schedule as Slurm does. slurm: ``slurm_options`` go to
    ``workload.backends.slurm.make_backend`` (``cluster``, ``client``, ...); ``faults``
    need the wlgen container cluster named by ``cluster``."""
    if kind == "sim":
        return _sim(sim_cluster, policy, realtime, tuple(faults), requeue, calibration, slurm)
    if kind != "slurm":
        raise InputError(f"--backend must be sim or slurm here, got {kind!r}")
    from workload.backends.slurm import make_backend as make_slurm
    if not faults:
        return make_slurm(**slurm_options)
    from workload.backends.slurm.faults import FaultingBackend, SlurmFaults
    driver = SlurmFaults(_fault_target(slurm_options.get("cluster")), tuple(faults))
    return FaultingBackend(make_slurm(**slurm_options), driver)


def _sim(info: ClusterInfo, policy: str, realtime: bool, faults: tuple[Fault, ...],
         requeue: bool, calibration: Calibration | None,
         slurm: SlurmConfig | None = None) -> Backend:
    from workload.backends.sim import SimBackend, slurm_policy
    from workload.backends.sim.calibrate import TEXTBOOK
    from workload.backends.sim.faults import ScenarioSim

    calibration = calibration or TEXTBOOK
    policy, slurm = slurm_policy(info, policy, slurm)
    if realtime:     # the wall clock: no simulated node faults
        if faults:
            raise InputError("faults run on the simulated clock: drop --realtime")
        return SimBackend(info, policy, realtime=True, calibration=calibration, slurm=slurm)
    return ScenarioSim(info, policy, faults=faults, requeue=requeue, calibration=calibration,
                       slurm=slurm)


def _fault_target(name: object):
    """The Slurm fault driver acts on a wlgen container cluster (scontrol, the engine)."""
    from workload.cluster import Cluster

    named = target_cluster(None if name is None else str(name))
    cluster = Cluster.running(named) if named else None
    if cluster is None:
        raise BackendError(f"faults act on a running wlgen container cluster; "
                           f"{named or 'none'!r} is not running (--cluster NAME)")
    return cluster

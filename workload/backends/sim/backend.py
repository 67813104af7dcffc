"""The simulator behind the Backend interface."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

import simpy

from workload.backends.base import Backend, ClusterInfo, Emit, NodeInfo
from workload.backends.sim.calibrate import TEXTBOOK, Calibration
from workload.backends.sim.cluster import SimCluster
from workload.backends.sim.policy import SLURM
from workload.errors import BackendError, InputError
from workload.slurmconf import SlurmConfig
from workload.slurmconf.defaults import DEFAULT_RELEASE
from workload.spec import JobSpec

if TYPE_CHECKING:
    from workload.backends.sim.slurm import SlurmEngine


#: What Slurm mode does not model yet, named in settings.json ``sim_ignored``.
GPUS_IGNORED = ("GPUs (gres/gpu): allocated per node, but backfill plans and reservations "
                "count CPUs only")


#: What the simulator approximates of a heterogeneous job, counted in metrics.json
#: ``sim_approximated`` (jobs a reason) when a run has one.
HET_PARTITION = ("heterogeneous job components in another partition than the job's "
                 "first: run in the first one's")
HET_BACKFILL = ("heterogeneous jobs (Slurm mode): backfill plans one reservation of all "
                "components' CPUs (Slurm plans each component)")
HET_LIMITS = ("heterogeneous jobs (Slurm mode): count as one job against QOS job limits "
              "(Slurm counts each component as a job)")
HET_BUILTIN = ("heterogeneous jobs (Slurm mode, sched/builtin): started by the main loop "
               "(Slurm starts them from backfill only)")


def make_cluster_info(nodes: int, cpus: int, mem_mb: int = 64_000, *,
                      partition: str = "batch", name: str = "sim", gpus: int = 0,
                      gpu_type: str | None = None) -> ClusterInfo:
    """A homogeneous cluster, nodes named like the container cluster's (n1, n2...);
    ``gpus`` per node, of ``gpu_type`` when given."""
    if nodes < 1 or cpus < 1 or mem_mb < 1 or gpus < 0:
        raise InputError(f"cluster shape must be positive: --nodes {nodes} --cpus {cpus} "
                         f"--mem {mem_mb} --gpus {gpus}")
    return ClusterInfo(name, tuple(NodeInfo(f"n{i}", cpus, mem_mb, (partition,), gpus,
                                            gpu_type if gpus else None)
                                   for i in range(1, nodes + 1)), default_partition=partition)


def slurm_policy(info: ClusterInfo, policy: str,
                 slurm: SlurmConfig | None) -> tuple[str, SlurmConfig | None]:
    """(textbook policy, Slurm configuration) for a ``--policy``: "slurm" without a
    configuration means the container cluster's settings for the cluster's release."""
    if policy == SLURM and slurm is None:
        slurm = SlurmConfig.container(info.slurm_version or DEFAULT_RELEASE)
    return ("easy" if policy == SLURM else policy), slurm


class SimBackend(Backend):
    """Runs in simpy's virtual time as fast as the machine allows, or in wall-clock time
    (``realtime``) to watch a run's events flow into live sinks.

    With ``slurm`` (a SlurmConfig) it schedules as Slurm does with that configuration
    (workload/backends/sim/slurm/); without, textbook ``policy`` (fcfs or easy).
    ``ignored`` names the settings of ``slurm`` the simulator does not model.
    """

    name = "sim"

    def __init__(self, info: ClusterInfo, policy: str = "easy", *, realtime: bool = False,
                 calibration: Calibration = TEXTBOOK, slurm: SlurmConfig | None = None) -> None:
        self.info, self.policy, self.realtime = info, policy, realtime
        self.calibration, self.slurm = calibration, slurm
        self.ignored: list[str] = []
        if slurm is not None:
            # Imported here: the Slurm engine is a tenth of a textbook run's start-up.
            from workload.backends.sim.slurm import ignored
            self.ignored = ignored(slurm)
        if slurm is not None and info.total_gpus:
            # Said, never silent: backfill's plan does not see GPUs.
            self.ignored.append(GPUS_IGNORED)
        self.cluster: SimCluster | SlurmEngine | None = None
        self.approximated: Counter[str] = Counter()

    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        self.epoch = epoch
        if self.slurm is not None:
            from workload.backends.sim.slurm import SlurmEngine
            self.cluster = SlurmEngine(env, self.info, self.slurm, emit, epoch)
        else:
            self.cluster = SimCluster(env, self.info, self.policy, emit, epoch,
                                      self.calibration)

    def describe(self) -> ClusterInfo:
        return self.info

    def _attached(self) -> SimCluster | SlurmEngine:
        if self.cluster is None:
            raise BackendError("the simulator is not attached to a run")
        return self.cluster

    def submit(self, spec: JobSpec) -> None:
        cluster = self._attached()
        if spec.components:
            self._approximates(spec)
        if not self.realtime:
            cluster.submit(spec)
            return
        # On the wall clock, measure the generator like a real backend: how late the
        # submit began against its intended time, and how long it took.
        began = time.time()
        cluster.submit(spec, timing=(time.time() - began, began - (self.epoch + spec.submit_s)))

    def _approximates(self, spec: JobSpec) -> None:
        """Count what the run approximates of a heterogeneous job: each reason is said on
        stderr the first time, and counted in metrics.json (never silent)."""
        reasons = []
        if any(c.partition not in (None, spec.partition) for c in spec.components):
            reasons.append(HET_PARTITION)
        if self.slurm is not None:
            backfill = self.slurm.get("SchedulerType") == "sched/backfill"
            reasons += [HET_BACKFILL if backfill else HET_BUILTIN, HET_LIMITS]
        for reason in reasons:
            if not self.approximated[reason]:
                print(f"wlgen: simulator approximates: {reason} (metrics.json "
                      f"sim_approximated counts the jobs)", file=sys.stderr, flush=True)
            self.approximated[reason] += 1

    def report(self) -> dict[str, object]:
        return {"sim_approximated": dict(self.approximated)} if self.approximated else {}

    def cancel(self, seqs: Iterable[int]) -> None:
        self._attached().cancel(seqs)

    def set_node(self, name: str, up: bool) -> None:
        self._attached().set_node(name, up)

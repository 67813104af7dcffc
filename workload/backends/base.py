"""The narrow backend interface that the simulator and the Slurm clients implement.

A backend is bound to a run's simpy environment with ``attach``. From then on it takes
``submit``/``cancel`` calls from the generator and reports every lifecycle event through
the ``emit`` callable it was given. ``emit`` is safe to call from any thread: real
backends call it from their watcher; the simulator calls it from simpy callbacks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import simpy

from workload.errors import BackendError
from workload.event import Event
from workload.spec import JobSpec

Emit = Callable[[Event], None]


@dataclass(frozen=True, slots=True)
class NodeInfo:
    name: str
    cpus: int
    mem_mb: int
    partitions: tuple[str, ...] = ("batch",)
    gpus: int = 0                 # GPUs on the node (gres/gpu), 0 for none
    gpu_type: str | None = None   # gres/gpu:TYPE, None when untyped


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """What a backend runs on: enough to scale a workload onto it and compute utilisation."""

    name: str
    nodes: tuple[NodeInfo, ...]
    default_partition: str = "batch"
    slurm_version: str | None = None
    #: The slurmrestd API version the backend picked from the server's own document
    #: (None unless it talks REST): recorded so a run says which shapes it parsed.
    slurm_api: str | None = None

    @property
    def total_cpus(self) -> int:
        return sum(n.cpus for n in self.nodes)

    @property
    def total_gpus(self) -> int:
        return sum(n.gpus for n in self.nodes)

    @property
    def cpus_per_node(self) -> int:
        return max((n.cpus for n in self.nodes), default=0)

    @property
    def partitions(self) -> tuple[str, ...]:
        seen = dict.fromkeys(p for n in self.nodes for p in n.partitions)
        return tuple(seen)


class Backend(ABC):
    """Submit, cancel, report lifecycle events, describe the cluster."""

    name: str = "backend"
    #: False: the run uses simpy's virtual time; True: wall-clock (simpy.rt).
    realtime: bool = True

    @abstractmethod
    def attach(self, env: simpy.Environment, emit: Emit, epoch: float, run_id: str = "") -> None:
        """Bind to the run. ``epoch`` is the Unix time that ``env.now == 0`` stands for;
        ``run_id`` tags the run's jobs (to find, reconcile and cancel them)."""

    @abstractmethod
    def describe(self) -> ClusterInfo:
        """The cluster this backend submits to."""

    @abstractmethod
    def submit(self, spec: JobSpec) -> None:
        """Submit one job without blocking the clock; its submit event follows via emit.

        A job the backend refuses ends with an ``end`` event in state REJECTED."""

    @abstractmethod
    def cancel(self, seqs: Iterable[int]) -> None:
        """Cancel jobs of this run by sequence number (pending or running)."""

    def prepare_users(self, names: Iterable[str]) -> None:  # noqa: B027 (optional hook)
        """Make the run's users exist before the clock starts (real Slurm creates them;
        the simulator needs nothing), so no submit waits on user creation."""

    def failure(self) -> BackendError | None:
        """Why the run cannot go on (e.g. the controller is gone for good), or None.

        Real-time runs ask between events and end the run when it is set; everything
        not ended by then is left unfinished and named as such."""
        return None

    def unsubmitted(self) -> list[int]:
        """Jobs handed to ``submit`` that never reached the scheduler (held for a parent
        or queued when the run stopped): counted as not submitted, not as unaccounted."""
        return []

    def report(self) -> dict[str, object]:
        """The backend's own figures for the run's metrics (e.g. ``submit_lag_max_s``)."""
        return {}

    def close(self) -> None:  # noqa: B027 (optional hook, default: nothing to stop)
        """Stop watchers and worker threads; called once at the end of every run."""

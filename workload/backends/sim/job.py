"""A job inside the simulator: its spec plus the scheduler's bookkeeping."""

from __future__ import annotations

import math

from workload.event import PENDING
from workload.spec import JobSpec, component_specs


class SimJob:
    """Mutable scheduler state of one job; the spec itself stays immutable."""

    __slots__ = ("spec", "seq", "procs", "nodes", "mem", "limit", "submit", "start",
                 "alloc", "state", "partition", "order", "gpus", "gpu_type", "gpu_plan",
                 "gpu_held", "job_id", "comps", "gpus_each")

    def __init__(self, spec: JobSpec, submit: float, partition: str) -> None:
        self.spec, self.seq, self.procs = spec, spec.seq, spec.procs
        self.nodes, self.mem = spec.nodes, spec.mem_per_cpu_mb
        self.limit = spec.time_limit_s
        self.submit, self.start = submit, -1.0
        self.alloc: list[tuple[int, int]] = []   # (node index, cores)
        self.state = PENDING
        self.partition = partition
        self.order = -1                          # position in its partition's queue
        self.gpus, self.gpu_type = spec.gpus, spec.gpu_type
        self.gpus_each = spec.gpus_each
        self.gpu_plan: list[tuple[int, int]] = []   # (node index, GPUs) found, not yet taken
        self.gpu_held: list[tuple[int, int]] = []   # (node index, GPU index) while running
        self.job_id = f"sim-{spec.seq}"             # formatted once for its three events
        # A heterogeneous job: one SimJob a component (each with its own shape), all
        # started and ended together; the job itself counts all their CPUs.
        self.comps: tuple[SimJob, ...] = ()
        if spec.components:
            self.comps = tuple(SimJob(part, submit, partition) for part in component_specs(spec))
            self.procs, self.nodes, self.mem = spec.total_procs, None, None
            self.gpus = sum(c.gpus for c in self.comps)

    @property
    def expected_end(self) -> float:
        """When the scheduler must assume the job ends: start + requested time."""
        return self.start + self.limit

    @property
    def per_node(self) -> int:
        """Cores needed on each node when the node count is pinned."""
        return math.ceil(self.procs / self.nodes) if self.nodes else 1

    @property
    def simple(self) -> bool:
        """True when any free cores anywhere will do (no node count, no memory)."""
        return self.nodes is None and self.mem is None and not self.gpus and not self.comps


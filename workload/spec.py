"""The job spec: one immutable record of what to submit and when."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Component:
    """One further component of a heterogeneous job (``sbatch ... : ...``; sacct's
    ``13+1``): its own shape, asked for and started together with the job's first one."""

    procs: int                    # tasks, one CPU each
    nodes: int | None = None      # exact node count, or None for "any"
    mem_per_cpu_mb: int | None = None
    gpus: int = 0
    gpu_type: str | None = None
    partition: str | None = None  # None: the job's own


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job of a workload, as every source yields it and every backend submits it.

    Times are seconds; ``submit_s`` is the offset from the start of the workload.
    ``procs`` is the number of tasks (one CPU each); ``nodes`` pins the node count
    (``None`` lets the scheduler choose, like ``sbatch -n`` without ``-N``).
    """

    seq: int                      # position in the workload, 0-based, unique in a run
    submit_s: float               # offset from the workload's start
    procs: int                    # tasks, one CPU each
    runtime_s: float              # how long the payload really runs
    time_limit_s: float           # requested wall time (what Slurm kills at)
    nodes: int | None = None      # exact node count, or None for "any"
    mem_per_cpu_mb: int | None = None
    user: str = "user1"
    group: str = "group1"
    account: str | None = None
    partition: str | None = None
    source_id: int | None = None  # the job number in the source (SWF field 1)
    executable: int | None = None  # SWF field 14, used to pick a payload
    preceding: int | None = None  # source_id of the job this one waits for (SWF field 17)
    think_s: float = 0.0          # think time after ``preceding`` ended (SWF field 18)
    payload: str = "sleep"        # kernel name run inside the job (jobs/)
    payload_args: tuple[str, ...] = field(default=())
    # What an accounting source (sacct) knows besides the above; defaults mean "not said".
    name: str | None = None       # the job's name in the source (singleton keys on it)
    qos: str | None = None
    gpus: int = 0                 # GPUs for the whole job (sacct gres/gpu), 0 for none
    gpu_type: str | None = None   # gres/gpu:TYPE
    depends: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (afterok|afterany|..., source_ids)
    depends_any: bool = False     # depends joined by "?" (Slurm: any one suffices), not ","
    final_state: str | None = None   # how the source job ended when not COMPLETED
    exit_code: int | None = None     # its exit code (128+signal when killed)
    cancel_after_s: float | None = None  # cancelled this long after it started
    array_job: int | None = None  # the source's array job id, and this job's task in it
    array_task: int | None = None
    array_throttle: int | None = None   # the source array's %N: at most N tasks at once
    # A heterogeneous job's components after the first (sacct 13+1, 13+2...); the first
    # is this spec's own procs, nodes, memory, GPUs and partition. () for ordinary jobs.
    components: tuple[Component, ...] = ()
    # ``gpus`` are spread evenly over the job's pinned ``nodes``, gpus/nodes on each
    # (sbatch --gpus-per-node); False: for the whole job, wherever Slurm finds them.
    gpus_per_node: bool = False

    @property
    def total_procs(self) -> int:
        """Tasks of every component (``procs`` for an ordinary job)."""
        return self.procs + sum(c.procs for c in self.components)

    @property
    def gpus_each(self) -> int:
        """GPUs on each node of a ``gpus_per_node`` job (0 for any other)."""
        return self.gpus // self.nodes if self.gpus_per_node and self.nodes else 0

    def first_component(self) -> Component:
        """This spec's own shape as a Component (component 0 of a heterogeneous job)."""
        return Component(self.procs, self.nodes, self.mem_per_cpu_mb, self.gpus,
                         self.gpu_type, self.partition)

    def all_components(self) -> tuple[Component, ...]:
        """Every component, the first one first (one for an ordinary job)."""
        return (self.first_component(), *self.components)

    def with_(self, **changes: Any) -> "JobSpec":
        """A copy with some fields changed (specs are immutable); ``replace`` checks the
        names, the fields' own annotations say the types (Any: one per field)."""
        return replace(self, **changes)


def component_specs(spec: JobSpec) -> list[JobSpec]:
    """A heterogeneous job's components, each as a spec of its own shape (the rest of
    each is the job's); ``[spec]`` for an ordinary job."""
    if not spec.components:
        return [spec]
    return [spec.with_(procs=c.procs, nodes=c.nodes, mem_per_cpu_mb=c.mem_per_cpu_mb,
                       gpus=c.gpus, gpu_type=c.gpu_type,
                       partition=c.partition or spec.partition, components=())
            for c in spec.all_components()]

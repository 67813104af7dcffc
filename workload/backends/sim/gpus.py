"""GPUs of a partition's nodes, each given to one job at a time (issue 16).

A job asks for GPUs for the whole job (``--gpus=N``), optionally of one type. They come
from the nodes of its CPU allocation, as many per node as that node has free; every
node that gives GPUs also runs at least one of the job's tasks, as in Slurm.
"""

from __future__ import annotations

from collections.abc import Iterable

from workload.backends.base import NodeInfo
from workload.backends.sim.job import SimJob


class GpuPool:
    """Free GPU indices per node (node indices are the partition's)."""

    def __init__(self, nodes: list[NodeInfo]) -> None:
        self.count = [n.gpus for n in nodes]
        self.types = [n.gpu_type for n in nodes]
        self.free = [list(range(n.gpus)) for n in nodes]
        self.any = any(self.count)

    def fits_type(self, node: int, job: SimJob) -> bool:
        return job.gpu_type is None or self.types[node] == job.gpu_type

    def impossible(self, job: SimJob, part: str, max_nodes: int) -> str | None:
        """Why the job's GPUs can never be given here, on at most ``max_nodes`` nodes."""
        what = f"{job.gpus} GPUs" + (f" of type {job.gpu_type}" if job.gpu_type else "")
        counts = sorted((c for i, c in enumerate(self.count) if self.fits_type(i, job)),
                        reverse=True)
        best = sum(counts[:max_nodes])
        if best >= job.gpus:
            return None
        if not counts or not counts[0]:
            return f"{what} requested, partition {part} has none"
        where = "any node" if max_nodes == 1 else f"{max_nodes} nodes"
        return f"{what} requested, more than {where} of partition {part} has ({best})"

    def by_free(self, nodes: Iterable[int], job: SimJob) -> list[int]:
        """``nodes`` with the most free GPUs of the job's type first (fewest nodes used)."""
        return sorted(nodes, key=lambda n: (-len(self.free[n]) if self.fits_type(n, job)
                                            else 0, n))

    def plan(self, job: SimJob, nodes: list[int]) -> list[tuple[int, int]] | None:
        """(node, GPUs) taking the job's GPUs from ``nodes`` in order; None if short."""
        need, plan = job.gpus, []
        for node in nodes:
            if not need:
                break
            take = min(len(self.free[node]), need) if self.fits_type(node, job) else 0
            if take:
                plan.append((node, take))
                need -= take
        return None if need else plan

    def take(self, job: SimJob) -> None:
        held = []
        for node, count in job.gpu_plan:
            free = self.free[node]
            held += [(node, i) for i in free[:count]]
            del free[:count]
        job.gpu_held, job.gpu_plan = held, []

    def release(self, job: SimJob) -> None:
        for node, index in job.gpu_held:
            self.free[node].append(index)
            self.free[node].sort()
        job.gpu_held = []

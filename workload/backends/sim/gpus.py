"""GPUs of a partition's nodes, each given to one job at a time (issue 16).

A job asks for GPUs for the whole job (``--gpus=N``), optionally of one type. They come
from the nodes of its CPU allocation, as many per node as that node has free; every
node that gives GPUs also runs at least one of the job's tasks, as in Slurm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from workload.backends.base import NodeInfo

Allocation = list[tuple[int, int]]


class GpuJob(Protocol):
    """What placement reads of a job, in either simulator (SimJob, Slurm mode's Job)."""

    procs: int
    nodes: int | None
    gpus: int
    gpus_each: int        # GPUs on each pinned node (JobSpec.gpus_per_node), else 0
    gpu_type: str | None
    gpu_plan: list[tuple[int, int]]
    gpu_held: list[tuple[int, int]]


class GpuPool:
    """Free GPU indices per node (indices into ``nodes``)."""

    def __init__(self, nodes: Sequence[NodeInfo]) -> None:
        self.count = [n.gpus for n in nodes]
        self.types = [n.gpu_type for n in nodes]
        self.free = [list(range(n.gpus)) for n in nodes]
        self.any = any(self.count)

    def fits_type(self, node: int, job: GpuJob) -> bool:
        return job.gpu_type is None or self.types[node] == job.gpu_type

    def impossible(self, job: GpuJob, part: str, max_nodes: int,
                   nodes: Iterable[int] | None = None) -> str | None:
        """Why the job's GPUs can never be given on ``nodes`` (all by default), on at
        most ``max_nodes`` of them."""
        what = f"{job.gpus} GPUs" + (f" of type {job.gpu_type}" if job.gpu_type else "")
        among = range(len(self.count)) if nodes is None else nodes
        counts = sorted((self.count[i] for i in among if self.fits_type(i, job)),
                        reverse=True)
        if job.gpus_each:
            have = sum(1 for c in counts if c >= job.gpus_each)
            return None if have >= max_nodes else (
                f"{job.gpus_each} GPUs on each of {max_nodes} nodes requested, partition "
                f"{part} has {have} such nodes")
        best = sum(counts[:max_nodes])
        if best >= job.gpus:
            return None
        if not counts or not counts[0]:
            return f"{what} requested, partition {part} has none"
        where = "any node" if max_nodes == 1 else f"{max_nodes} nodes"
        return f"{what} requested, more than {where} of partition {part} has ({best})"

    def place(self, job: GpuJob, nodes: Iterable[int], usable: Callable[[int], int]
              ) -> Allocation | None:
        """(node, cores) for the job now, its GPUs from those nodes (kept on the job as
        ``gpu_plan`` for ``take``); None if they are not free. ``nodes`` are the
        candidates, ``usable(node)`` the cores the job could get there."""
        from workload.backends.sim.partition import pinned_counts  # partition imports us

        pool = self.by_free([n for n in nodes if usable(n)], job)
        if job.nodes is not None:
            per = math.ceil(job.procs / job.nodes)
            each = job.gpus_each
            chosen = [n for n in pool if usable(n) >= per and (not each or (
                self.fits_type(n, job) and len(self.free[n]) >= each))][:job.nodes]
            if len(chosen) < job.nodes:
                return None
            alloc: list[tuple[int, int]] | None = list(
                zip(chosen, pinned_counts(per, job.nodes, job.procs)))
            plan = [(n, each) for n in chosen] if each else self.plan(job, chosen)
        else:
            plan = self.plan(job, pool)
            alloc = None if plan is None else _fill(job, [n for n, _ in plan], pool, usable)
        if plan is None or alloc is None:
            return None
        job.gpu_plan = plan
        return alloc

    def by_free(self, nodes: Iterable[int], job: GpuJob) -> list[int]:
        """``nodes`` with the most free GPUs of the job's type first (fewest nodes used)."""
        return sorted(nodes, key=lambda n: (-len(self.free[n]) if self.fits_type(n, job)
                                            else 0, n))

    def plan(self, job: GpuJob, nodes: list[int]) -> list[tuple[int, int]] | None:
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

    def take(self, job: GpuJob) -> None:
        held = []
        for node, count in job.gpu_plan:
            free = self.free[node]
            held += [(node, i) for i in free[:count]]
            del free[:count]
        job.gpu_held, job.gpu_plan = held, []

    def release(self, job: GpuJob) -> None:
        for node, index in job.gpu_held:
            self.free[node].append(index)
            self.free[node].sort()
        job.gpu_held = []


def _fill(job: GpuJob, gpu_nodes: list[int], pool: list[int],
          usable: Callable[[int], int]) -> Allocation | None:
    """A task on each GPU node, then the other tasks wherever cores are free."""
    if len(gpu_nodes) > job.procs:
        return None
    cores = dict.fromkeys(gpu_nodes, 1)
    left = job.procs - len(gpu_nodes)
    for node in pool:
        if left <= 0:
            break
        extra = min(usable(node) - cores.get(node, 0), left)
        if extra > 0:
            cores[node] = cores.get(node, 0) + extra
            left -= extra
    return None if left else list(cores.items())

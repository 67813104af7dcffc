"""One partition: its nodes' free cores and memory, its queue, its running jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice, repeat
from typing import Any

from workload.backends.base import NodeInfo
from workload.backends.sim.gpus import GpuPool
from workload.backends.sim.job import SimJob
from workload.backends.sim.queue import JobQueue

Allocation = list[tuple[int, int]]


class Partition:
    """Disjoint node set with its own queue; allocation is per node, in whole cores.

    ``free_total`` counts free cores on nodes that are up; ``free_nodes`` holds the
    indices of up nodes with at least one free core, so allocation only visits those.
    """

    def __init__(self, name: str, nodes: list[NodeInfo]) -> None:
        self.name, self.shape = name, nodes
        self.cpus = [n.cpus for n in nodes]
        self.mem = [n.mem_mb for n in nodes]
        self.free = list(self.cpus)
        self.free_mem = list(self.mem)
        self.up = [True] * len(nodes)
        self.total_cpus = sum(self.cpus)
        self.free_total = self.total_cpus
        self.free_nodes = set(range(len(nodes)))
        # One core a node (KTH SP2's shape, and every SWF replay's default): a free node
        # has exactly one free core, so allocation takes the first free nodes as they are.
        self.one_core = all(c == 1 for c in self.cpus)
        self.queue = JobQueue()
        self.running: dict[int, SimJob] = {}
        self.gpu = GpuPool(nodes)

    def impossible(self, job: SimJob) -> str | None:
        """Why the job can never run here, even on an idle partition; None if it can."""
        if job.comps:
            return (het_impossible(job, self.impossible, self.total_cpus, self.name)
                    or self._never_together(job))
        if job.gpus:
            most = job.nodes if job.nodes is not None else min(job.procs, len(self.cpus))
            reason = self.gpu.impossible(job, self.name, most)
            if reason:
                return reason
        if job.simple:
            if job.procs > self.total_cpus:
                return f"{job.procs} CPUs requested, partition {self.name} has {self.total_cpus}"
            return None
        # Cores each node could ever give this job, once memory per CPU is counted.
        cap = [c if job.mem is None else min(c, m // job.mem) for c, m in zip(self.cpus, self.mem)]
        if job.nodes is None:
            if sum(cap) < job.procs:
                return (f"{job.procs} CPUs x {job.mem} MB requested, partition {self.name} "
                        f"can give {sum(cap)} CPUs with that memory")
            return None
        if job.nodes > job.procs:
            return f"{job.nodes} nodes for {job.procs} tasks: every node needs a task"
        if sum(1 for c in cap if c >= job.per_node) < job.nodes:
            return f"{job.nodes} nodes x {job.per_node} CPUs not available in {self.name}"
        return None

    def find(self, job: SimJob) -> Allocation | None:
        """Where the job would run now, or None if it does not fit yet."""
        if job.procs > self.free_total:
            return None
        if job.comps:
            return self._together(job)
        if job.gpus:
            return self._with_gpus(job)
        return self._spread(job) if job.nodes is None else self._pinned(job, job.nodes)

    def _never_together(self, job: SimJob) -> str | None:
        """Why a heterogeneous job's components, each able to run alone, can never be
        placed at once: ``_together`` finds no place for them on this partition idle.
        Without this the job would wait for ever (and the run with it)."""
        placed = Partition(self.name, self.shape)._together(job)
        for comp in job.comps:
            comp.alloc, comp.gpu_plan = [], []
        return None if placed is not None else never_together(job, self.name)

    def _with_gpus(self, job: SimJob) -> Allocation | None:
        """Cores and GPUs together; the GPU plan is kept on the job for ``take``."""
        return self.gpu.place(job, self.free_nodes, lambda n: self._usable(n, job.mem))

    def _usable(self, node: int, mem: int | None) -> int:
        free = self.free[node]
        return free if mem is None else min(free, self.free_mem[node] // mem)

    def _spread(self, job: SimJob) -> Allocation | None:
        need, alloc, mem = job.procs, [], job.mem
        if mem is None and self.one_core:
            # What the loop below picks on one-core nodes: the first ``need`` free nodes
            # in the set's order, one core each; in C, not a Python step per node.
            alloc = list(zip(islice(self.free_nodes, need), repeat(1)))
            return alloc if len(alloc) == need else None
        if mem is None:                      # the common case, kept tight
            free = self.free
            for node in self.free_nodes:
                take = free[node] if free[node] < need else need
                alloc.append((node, take))
                need -= take
                if not need:
                    return alloc
            return None
        for node in self.free_nodes:
            take = min(self._usable(node, mem), need)
            if take:
                alloc.append((node, take))
                need -= take
                if not need:
                    return alloc
        return None

    def _pinned(self, job: SimJob, nodes: int) -> Allocation | None:
        """``job`` on exactly ``nodes`` nodes (its ``job.nodes``, known to be set)."""
        per_node, mem = job.per_node, job.mem
        chosen = [n for n in self.free_nodes if self._usable(n, mem) >= per_node][:nodes]
        if len(chosen) < nodes:
            return None
        return list(zip(chosen, pinned_counts(per_node, nodes, job.procs)))

    def _together(self, job: SimJob) -> Allocation | None:
        """A heterogeneous job: every component placed now, one after the other on what
        the earlier ones left (components may share a node, as in Slurm), or None. Each
        component keeps its allocation (``alloc``, GPUs in ``gpu_plan``) for ``take``;
        the job's allocation is their sum by node."""
        placed: list[SimJob] = []
        try:
            for comp in job.comps:
                alloc = self.find(comp)
                if alloc is None:
                    return None
                plan = list(comp.gpu_plan)
                self._hold(comp, alloc)
                placed.append(comp)
                comp.gpu_plan = plan
        finally:
            for comp in placed:
                plan = comp.gpu_plan
                comp.gpu_plan = []
                self._unhold(comp)
                comp.gpu_plan = plan
        return merged(job.comps)

    def take(self, job: SimJob, alloc: Allocation) -> None:
        if job.comps:
            for comp in job.comps:
                self._hold(comp, comp.alloc)
        else:
            self._hold(job, alloc)
        job.alloc = alloc
        self.running[job.seq] = job

    def _hold(self, job: SimJob, alloc: Allocation) -> None:
        """Take ``alloc``'s cores, memory and planned GPUs for ``job`` (one component)."""
        # One discard a node, never difference_update: that one may resize the set, which
        # changes its iteration order and so which nodes the next jobs get.
        free, discard = self.free, self.free_nodes.discard
        for node, cores in alloc:
            left = free[node] - cores
            free[node] = left
            if not left:
                discard(node)
        if job.mem:
            for node, cores in alloc:
                self.free_mem[node] -= job.mem * cores
        self.free_total -= job.procs
        if job.gpu_plan:
            self.gpu.take(job)
        job.alloc = alloc

    def release(self, job: SimJob) -> None:
        for part in job.comps or (job,):
            self._unhold(part)
        del self.running[job.seq]

    def _unhold(self, job: SimJob) -> None:
        """Give back what ``_hold`` took (the job keeps ``alloc``: it says where it ran)."""
        free, add, up = self.free, self.free_nodes.add, self.up
        freed = 0
        for node, cores in job.alloc:
            free[node] += cores
            if up[node]:
                add(node)
                freed += cores
        self.free_total += freed
        if job.mem:
            for node, cores in job.alloc:
                self.free_mem[node] += job.mem * cores
        if job.gpu_held:
            self.gpu.release(job)

    def jobs_on(self, node: int) -> list[SimJob]:
        """Running jobs with CPUs on ``node`` (asked only when a node fails)."""
        return [job for job in self.running.values() if any(n == node for n, _ in job.alloc)]

    def set_up(self, node: int, up: bool) -> None:
        """Mark a node up or down; running jobs must have been ended before ``down``."""
        if self.up[node] == up:
            return
        self.up[node] = up
        if up:
            self.free_total += self.free[node]
            if self.free[node]:
                self.free_nodes.add(node)
        else:
            self.free_total -= self.free[node]
            self.free_nodes.discard(node)


def het_impossible(job: Any, alone: Callable[[Any], str | None], total: int,
                   name: str) -> str | None:
    """Why a heterogeneous job can never run: a component that could not run alone, or
    more CPUs in all than the partition has (either simulator's job: SimJob or Job)."""
    for number, comp in enumerate(job.comps):
        why = alone(comp)
        if why:
            return f"heterogeneous job component {number}: {why}"
    if job.procs > total:
        return f"{job.procs} CPUs requested in all components, partition {name} has {total}"
    return None


def never_together(job: Any, partition: str) -> str:
    """The reason both simulators give a heterogeneous job whose components never fit at
    once (``_never_together`` of each)."""
    return (f"its {len(job.comps)} heterogeneous job components cannot all be placed at "
            f"once in partition {partition}, even idle")


def merged(parts: Iterable[Any]) -> Allocation:
    """The components' allocations as one: cores summed by node, in first-use order."""
    cores: dict[int, int] = {}
    for part in parts:
        for node, count in part.alloc:
            cores[node] = cores.get(node, 0) + count
    return list(cores.items())


def pinned_counts(per_node: int, nodes: int, procs: int) -> list[int]:
    """Tasks per node for ``procs`` tasks pinned to ``nodes`` nodes of ``per_node`` each:
    full nodes first, the surplus trimmed from the end, at least one task a node."""
    counts = [per_node] * nodes
    surplus = per_node * nodes - procs
    for i in range(nodes - 1, -1, -1):
        cut = min(surplus, counts[i] - 1)
        counts[i] -= cut
        surplus -= cut
    return counts

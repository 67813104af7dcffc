"""The Slurm-mode simulator's records: nodes, partitions, jobs."""

from __future__ import annotations

import math

from workload.backends.base import ClusterInfo
from workload.backends.sim.gpus import GpuPool
from workload.backends.sim.partition import (het_impossible, merged, never_together,
                                             pinned_counts)
from workload.backends.sim.slurm.fairshare import Assoc
from workload.event import PENDING
from workload.slurmconf import PartitionConf, QosConf
from workload.spec import JobSpec, component_specs


class Part:
    """A partition: its nodes (indices, shared with other partitions or not) and settings."""

    def __init__(self, conf: PartitionConf, nodes: list[int], cells: tuple[int, ...],
                 cpus: list[int]) -> None:
        self.name, self.conf, self.nodes, self.cells = conf.name, conf, nodes, cells
        self.tier = conf.priority_tier
        self.total = sum(cpus[n] for n in nodes)
        self.free = self.total          # free CPUs on its up nodes (kept by Nodes)
        self.per_node = max((cpus[n] for n in nodes), default=1)


class Job:
    __slots__ = ("spec", "seq", "procs", "nodes", "mem", "limit", "part", "qos", "user",
                 "assoc", "submit", "eligible", "static_prio", "priority", "reason", "state",
                 "alloc", "start", "part_factor", "qos_priority", "charged", "key", "planned",
                 "gpus", "gpu_type", "gpu_plan", "gpu_held", "comps", "gpus_each")

    def __init__(self, spec: JobSpec, now: float, part: Part, limit: float,
                 qos: QosConf | None) -> None:
        self.spec, self.seq, self.procs = spec, spec.seq, spec.procs
        self.nodes, self.mem = spec.nodes, spec.mem_per_cpu_mb
        self.limit, self.part, self.qos, self.user = limit, part, qos, spec.user
        self.assoc: Assoc = None  # type: ignore[assignment]  # set at submit
        self.submit = self.eligible = now
        self.static_prio = 0.0
        self.priority = 0
        self.reason = "None"
        self.state = PENDING
        self.alloc: list[tuple[int, int]] = []
        self.start = self.charged = -1.0
        self.part_factor = part.conf.priority_job_factor
        self.qos_priority = qos.priority if qos else 0
        self.key: tuple = ()
        self.planned: list[tuple[float, int, int]] = []   # (end on the grid, cell, CPUs)
        self.gpus, self.gpu_type = spec.gpus, spec.gpu_type     # GpuPool's (issue 16)
        self.gpus_each = spec.gpus_each
        self.gpu_plan: list[tuple[int, int]] = []
        self.gpu_held: list[tuple[int, int]] = []
        # A heterogeneous job: a Job a component, placed together (Nodes.find); the job
        # counts all their CPUs and GPUs.
        self.comps: tuple[Job, ...] = ()
        if spec.components:
            self.comps = tuple(Job(one, now, part, limit, qos) for one in component_specs(spec))
            self.procs, self.nodes, self.mem = spec.total_procs, None, None
            self.gpus = sum(c.gpus for c in self.comps)

    def sort_key(self) -> tuple:
        """sort_job_queue2: partition PriorityTier, priority (both descending), submit
        time, job id."""
        self.key = (-self.part.tier, -self.priority, self.submit, self.seq)
        return self.key


class Nodes:
    """Free CPUs and memory per node, for every partition at once (nodes may be shared)."""

    def __init__(self, info: ClusterInfo) -> None:
        self.info = info
        self.names = [n.name for n in info.nodes]
        self.cpus = [n.cpus for n in info.nodes]
        self.mem = [n.mem_mb for n in info.nodes]
        self.free = list(self.cpus)
        self.free_mem = list(self.mem)
        self.up = [True] * len(self.cpus)
        self.free_total = sum(self.cpus)
        cells: dict[tuple[str, ...], int] = {}
        self.cell_of = [cells.setdefault(tuple(sorted(n.partitions)), len(cells))
                        for n in info.nodes]
        self.cell_parts = list(cells)
        self.cell_free = [0] * len(cells)   # free CPUs on up nodes, per cell
        for node, cpus in enumerate(self.cpus):
            self.cell_free[self.cell_of[node]] += cpus
        self.parts_of: list[list[Part]] = [[] for _ in self.cpus]
        self.gpu = GpuPool(info.nodes)

    def attach(self, parts: list[Part]) -> None:
        """Let each node keep its partitions' free-CPU counts."""
        for part in parts:
            for node in part.nodes:
                self.parts_of[node].append(part)

    def _count(self, node: int, delta: int) -> None:
        self.free_total += delta
        self.cell_free[self.cell_of[node]] += delta
        for part in self.parts_of[node]:
            part.free += delta

    def usable(self, node: int, mem: int | None, skip: frozenset[int] | set[int] = frozenset()
               ) -> int:
        if not self.up[node] or node in skip:
            return 0
        free = self.free[node]
        return free if mem is None else min(free, self.free_mem[node] // mem)

    def find(self, job: Job, skip: frozenset[int] | set[int] = frozenset()
             ) -> list[tuple[int, int]] | None:
        """Where ``job`` runs now in its partition (first nodes first) on nodes not in
        ``skip``, or None."""
        if job.part.free < job.procs:
            return None
        if job.comps:
            return self._together(job, skip)
        if job.gpus:
            return self.gpu.place(job, job.part.nodes, lambda n: self.usable(n, job.mem, skip))
        if job.nodes is None and job.mem is None:     # the common case, kept tight
            need, alloc, free, up = job.procs, [], self.free, self.up
            for node in job.part.nodes:
                have = free[node]
                if have and up[node] and node not in skip:
                    take = have if have < need else need
                    alloc.append((node, take))
                    need -= take
                    if not need:
                        return alloc
            return None
        if job.nodes is None:
            need, alloc = job.procs, []
            for node in job.part.nodes:
                take = min(self.usable(node, job.mem, skip), need)
                if take:
                    alloc.append((node, take))
                    need -= take
                    if not need:
                        return alloc
            return None
        per = math.ceil(job.procs / job.nodes)
        chosen = [n for n in job.part.nodes if self.usable(n, job.mem, skip) >= per][:job.nodes]
        if len(chosen) < job.nodes:
            return None
        return list(zip(chosen, pinned_counts(per, job.nodes, job.procs)))

    def _together(self, job: Job, skip: frozenset[int] | set[int]
                  ) -> list[tuple[int, int]] | None:
        """Every component of a heterogeneous job placed now, each on what the earlier
        ones left (components may share a node), or None; each keeps its ``alloc`` and
        GPU plan for ``take``."""
        placed: list[Job] = []
        try:
            for comp in job.comps:
                alloc = self.find(comp, skip)
                if alloc is None:
                    return None
                plan = list(comp.gpu_plan)
                self.take(comp, alloc)
                placed.append(comp)
                comp.gpu_plan = plan
        finally:
            for comp in placed:
                plan, comp.gpu_plan, kept = comp.gpu_plan, [], comp.alloc
                self.give(comp)
                comp.gpu_plan, comp.alloc = plan, kept
        return merged(job.comps)

    def _never_together(self, job: Job) -> str | None:
        """Why a heterogeneous job's components, each able to run alone, can never be
        placed at once: ``_together`` finds no place for them on an idle cluster (its
        partition as new, on nodes as new). Without this it would pend for ever."""
        idle, part = Nodes(self.info), job.part
        alone = Part(part.conf, part.nodes, part.cells, idle.cpus)
        idle.attach([alone])
        for comp in job.comps:
            comp.part = alone
        try:
            placed = idle._together(job, frozenset())
        finally:
            for comp in job.comps:
                comp.part, comp.alloc, comp.gpu_plan = part, [], []
        return None if placed is not None else never_together(job, part.name)

    def take(self, job: Job, alloc: list[tuple[int, int]]) -> None:
        if job.comps:
            for comp in job.comps:
                self.take(comp, comp.alloc)
            job.gpu_held = [g for comp in job.comps for g in comp.gpu_held]
            job.alloc = alloc
            return
        for node, cores in alloc:
            self.free[node] -= cores
            if job.mem:
                self.free_mem[node] -= cores * job.mem
            if self.up[node]:
                self._count(node, -cores)
        if job.gpu_plan:
            self.gpu.take(job)
        job.alloc = alloc

    def give(self, job: Job) -> None:
        if job.comps:
            for comp in job.comps:
                self.give(comp)
            job.gpu_held, job.alloc = [], []
            return
        for node, cores in job.alloc:
            self.free[node] += cores
            if job.mem:
                self.free_mem[node] += cores * job.mem
            if self.up[node]:
                self._count(node, cores)
        if job.gpu_held:
            self.gpu.release(job)
        job.alloc = []

    def set_up(self, node: int, up: bool) -> None:
        if self.up[node] != up:
            self.up[node] = up
            self._count(node, self.free[node] if up else -self.free[node])

    def impossible(self, job: Job) -> str | None:
        if job.comps:
            return (het_impossible(job, self.impossible, job.part.total, job.part.name)
                    or self._never_together(job))
        nodes = job.part.nodes
        if job.gpus:
            most = job.nodes if job.nodes is not None else min(job.procs, len(nodes))
            why = self.gpu.impossible(job, job.part.name, most, nodes)
            if why:
                return why
        if job.nodes is None and job.mem is None:
            return None if job.procs <= job.part.total else \
                f"{job.procs} CPUs requested, partition {job.part.name} has {job.part.total}"
        cap = [self.cpus[n] if job.mem is None else min(self.cpus[n], self.mem[n] // job.mem)
               for n in nodes]
        if job.nodes is None:
            return None if sum(cap) >= job.procs else \
                f"{job.procs} CPUs requested, partition {job.part.name} can give {sum(cap)}"
        if job.nodes > job.procs:
            return f"{job.nodes} nodes for {job.procs} tasks: every node needs a task"
        per = math.ceil(job.procs / job.nodes)
        if sum(1 for c in cap if c >= per) < job.nodes:
            return f"{job.nodes} nodes x {per} CPUs not available in {job.part.name}"
        return None

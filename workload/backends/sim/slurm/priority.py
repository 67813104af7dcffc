"""Job priority: priority/basic (submit order) or priority/multifactor.

    priority = W_age * age + W_assoc * assoc + W_fs * fairshare + W_js * jobsize
             + W_part * partition + W_qos * qos + sum(W_tres * tres)

as set_priority_factors() in src/plugins/priority/multifactor/priority_multifactor.c:
age from the job's eligible time (its submit time with ACCRUE_ALWAYS) over
PriorityMaxAge; job size from CPUs and nodes (favour large, PriorityFavorSmall, or
SMALL_RELATIVE_TO_TIME: max(nodes * C / N, cpus) / limit_minutes / C); partition
PriorityJobFactor and QOS Priority over the largest (raw with NO_NORMAL_*); TRES as
the job's share of the cluster's CPUs and memory. Truncated to an integer, at least 1
(0 means held).
"""

from __future__ import annotations

from workload.backends.sim.slurm.settings import SimSettings

BASIC_TOP = 4_294_901_760   # priority/basic counts down from here, one per job


class Priorities:
    def __init__(self, settings: SimSettings, *, nodes: int, cpus: int, mem_mb: int,
                 max_part_factor: int, max_qos: int) -> None:
        self.s = settings
        self.nodes, self.cpus, self.mem = nodes, cpus, max(1, mem_mb)
        self.max_part = max(1, max_part_factor)
        self.max_qos = max(1, max_qos)
        self._basic = BASIC_TOP

    def basic(self) -> int:
        self._basic -= 1
        return self._basic

    def job_size(self, procs: int, nodes: int, limit_s: float) -> float:
        s, n_all, c_all = self.s, self.nodes, self.cpus
        if "SMALL_RELATIVE_TO_TIME" in s.flags:
            size = max(nodes * c_all / n_all, procs) / max(1.0, limit_s / 60) / c_all
            factor = 1.0 - size if s.favor_small else size
        elif s.favor_small:
            factor = ((n_all - nodes) / n_all + (c_all - procs) / c_all) / 2
        else:
            factor = (nodes / n_all + procs / c_all) / 2
        return min(1.0, max(0.0, factor))

    def static(self, job) -> float:
        """The part of a job's priority that does not change while it waits."""
        s = self.s
        total = 0.0
        if s.w_js:
            total += s.w_js * self.job_size(job.procs, job.spec.nodes or 1, job.limit)
        if s.w_part and job.part_factor:
            total += s.w_part * (job.part_factor / self.max_part if s.normal("PART")
                                 else job.part_factor)
        if s.w_qos and job.qos_priority:
            total += s.w_qos * (job.qos_priority / self.max_qos if s.normal("QOS")
                                else job.qos_priority)
        for name, weight in s.w_tres.items():
            if name == "cpu":
                total += weight * (job.procs / self.cpus if s.normal("TRES") else job.procs)
            elif name == "mem" and job.mem:
                mem = job.mem * job.procs
                total += weight * (mem / self.mem if s.normal("TRES") else mem)
        return total

    def of(self, job, now: float) -> int:
        s = self.s
        total = job.static_prio
        if s.w_age and s.max_age_s:
            since = job.submit if "ACCRUE_ALWAYS" in s.flags else job.eligible
            total += s.w_age * min(1.0, max(0.0, now - since) / s.max_age_s)
        if s.w_fs:
            total += s.w_fs * job.assoc.fs
        return max(1, min(int(total), 0xFFFFFFFF))

    def refresh(self, jobs, now: float) -> None:
        """``job.priority = self.of(job, now)`` for each of ``jobs`` (every pending job,
        each PriorityCalcPeriod): the same sums in the same order, the settings looked up
        once, not once a job."""
        s = self.s
        w_age, max_age, w_fs = s.w_age, s.max_age_s, s.w_fs
        age = bool(w_age and max_age)
        accrue_always = "ACCRUE_ALWAYS" in s.flags
        for job in jobs:
            total = job.static_prio
            if age:
                since = job.submit if accrue_always else job.eligible
                total += w_age * min(1.0, max(0.0, now - since) / max_age)
            if w_fs:
                total += w_fs * job.assoc.fs
            job.priority = max(1, min(int(total), 0xFFFFFFFF))

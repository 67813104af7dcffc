"""Scheduling passes: FCFS, and textbook EASY backfilling (Mu'alem & Feitelson 2001).

EASY: jobs start in queue order while they fit. The first that does not fit (the head)
gets a reservation at the shadow time, the earliest moment enough CPUs are free if every
running job ends at its requested time; ``extra`` is what is left over then. A later job
may start now only if it fits now and either ends (by its requested time) before the
shadow time or uses no more than ``extra`` CPUs, so the head is never delayed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from workload.backends.sim.job import SimJob
from workload.backends.sim.partition import Allocation, Partition

Start = Callable[[SimJob, Allocation], None]
TEXTBOOK_POLICIES = ("fcfs", "easy")
SLURM = "slurm"     # Slurm's own scheduling (workload/backends/sim/slurm/)
POLICIES = (*TEXTBOOK_POLICIES, SLURM)


def start_in_order(part: Partition, start: Start) -> None:
    """Start queued jobs from the head while they fit (FCFS, and EASY's first step)."""
    queue = part.queue
    while (job := queue.head()) is not None:
        alloc = part.find(job)
        if alloc is None:
            return
        start(job, alloc)


def reservation(part: Partition, head: SimJob) -> tuple[float, int]:
    """(shadow time, extra CPUs) for the head job, from running jobs' requested ends."""
    available, need = part.free_total, head.procs
    for job in sorted(part.running.values(), key=_expected_end):
        available += job.procs
        if available >= need:
            return job.start + job.limit, available - need
    # The head can't fit even on an empty partition (nodes down): nothing to protect.
    return math.inf, part.total_cpus


def _expected_end(job: SimJob) -> float:
    """SimJob.expected_end without the property's call: the sort key of every pass."""
    return job.start + job.limit


def backfill(part: Partition, now: float, start: Start) -> None:
    """Start later jobs that fit now without delaying the head's reservation.

    Repeatedly starts the earliest queued job that may start. Free and extra CPUs only
    shrink during a pass, so this is exactly the job the textbook in-order scan would
    start next; a job whose nodes or memory don't fit is passed over for this pass.
    """
    queue = part.queue
    head = queue.head()
    if head is None or len(queue) < 2 or not part.free_total:
        return
    shadow, extra = reservation(part, head)
    window, skip = shadow - now, {head.seq}
    while part.free_total:
        job = queue.earliest_fit(part.free_total, extra, window, skip)
        if job is None:
            return
        alloc = part.find(job)
        if alloc is None:
            skip.add(job.seq)
            continue
        start(job, alloc)
        if job.limit > window:
            extra -= job.procs


def schedule(policy: str, part: Partition, now: float, start: Start) -> None:
    """One scheduling pass over a partition's queue."""
    start_in_order(part, start)
    if policy == "easy":
        backfill(part, now, start)

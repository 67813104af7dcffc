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
POLICIES = ("fcfs", "easy")


def start_in_order(part: Partition, start: Start) -> None:
    """Start queued jobs from the head while they fit (FCFS, and EASY's first step)."""
    queue, started = part.queue, 0
    for job in queue:
        alloc = part.find(job)
        if alloc is None:
            break
        start(job, alloc)
        started += 1
    if started:
        del queue[:started]


def reservation(part: Partition, head: SimJob) -> tuple[float, int]:
    """(shadow time, extra CPUs) for the head job, from running jobs' requested ends."""
    available = part.free_total
    for job in sorted(part.running.values(), key=lambda j: j.expected_end):
        available += job.procs
        if available >= head.procs:
            return job.expected_end, available - head.procs
    # The head can't fit even on an empty partition (nodes down): nothing to protect.
    return math.inf, part.total_cpus


def hopeless(part: Partition, window: float, extra: int) -> bool:
    """True when no queued job can backfill: a candidate needs procs <= free CPUs and
    either a limit within the window to the shadow time or procs <= extra."""
    procs, limit = part.queued.smallest
    return procs > part.free_total or (limit > window and procs > extra)


def backfill(part: Partition, now: float, start: Start) -> None:
    """Start later jobs that fit now without delaying the head's reservation."""
    queue = part.queue
    if len(queue) < 2 or not part.free_total:
        return
    shadow, extra = reservation(part, queue[0])
    window = shadow - now
    started: list[int] = []
    if hopeless(part, window, extra):
        return
    free = part.free_total
    for index in range(1, len(queue)):
        job = queue[index]
        procs = job.procs
        # The cheap tests first: this loop may pass thousands of queued jobs.
        if procs > free or (procs > extra and job.limit > window):
            continue
        alloc = part.find(job)
        if alloc is None:
            continue
        start(job, alloc)
        started.append(index)
        if job.limit > window:
            extra -= procs
        free = part.free_total
        if hopeless(part, window, extra):   # bounds change only when a job starts
            break
    for index in reversed(started):
        del queue[index]


def schedule(policy: str, part: Partition, now: float, start: Start) -> None:
    """One scheduling pass over a partition's queue."""
    start_in_order(part, start)
    if policy == "easy":
        backfill(part, now, start)

"""A partition's queue of pending jobs, in submit order, indexed by job shape.

Backfilling looks for the earliest queued job that could start now. Scanning the queue
for it costs a pass O(queue length), which made a storm of 100,000 jobs quadratic. Here
jobs are also kept in buckets by shape (CPUs, time limit), each in queue order, so the
earliest eligible job is found by looking at the front of each eligible bucket: a pass
costs O(shapes) per job started, and storms have a handful of shapes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from workload.backends.sim.job import SimJob
from workload.event import PENDING

_COMPACT_AT = 4096   # drop the list's consumed prefix once it is this long and half the list


class JobQueue:
    """Pending jobs in submit order. Removal is lazy in the list, exact in the buckets."""

    def __init__(self) -> None:
        self._items: list[SimJob] = []
        self._first = 0
        self._orders = 0
        self._shapes: dict[tuple[int, float], deque[SimJob]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def push(self, job: SimJob) -> None:
        job.order = self._orders
        self._orders += 1
        self._items.append(job)
        self._shapes.setdefault((job.procs, job.limit), deque()).append(job)
        self._count += 1

    def remove(self, job: SimJob) -> None:
        """Take a job out (it started or was cancelled); the caller changes its state."""
        key = (job.procs, job.limit)
        bucket = self._shapes[key]
        if bucket[0] is job:
            bucket.popleft()
        else:
            bucket.remove(job)
        if not bucket:
            del self._shapes[key]
        self._count -= 1

    def head(self) -> SimJob | None:
        """The earliest pending job."""
        items, i = self._items, self._first
        while i < len(items) and items[i].state != PENDING:
            i += 1
        if i >= _COMPACT_AT and 2 * i > len(items):
            del items[:i]
            i = 0
        self._first = i
        return items[i] if i < len(items) else None

    def earliest_fit(self, free: int, extra: int, window: float,
                     skip: set[int]) -> SimJob | None:
        """The earliest job, not in ``skip``, with procs <= free and either a limit within
        ``window`` or procs <= ``extra`` (EASY's condition for starting it now)."""
        best = None
        for (procs, limit), bucket in self._shapes.items():
            if procs > free or (procs > extra and limit > window):
                continue
            for job in bucket:
                if job.seq not in skip:
                    break
            else:
                continue
            if best is None or job.order < best.order:
                best = job
        return best

    def __iter__(self) -> Iterator[SimJob]:
        """Pending jobs in submit order."""
        return (job for job in self._items[self._first:] if job.state == PENDING)

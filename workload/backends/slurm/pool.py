"""The bounded submit worker pool: ``put`` never blocks, so sbatch never moves the clock.

With a ``key``, a worker takes along every queued job of the same key meant for the
same instant (up to ``max_group``): those go to Slurm as one array job. Jobs due at
other instants are never held back to fill a group, so packing adds no delay.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Hashable

from workload.spec import JobSpec

Work = Callable[[list[JobSpec], float], None]
Key = Callable[[JobSpec], Hashable]
_STOP = None
SCAN = 4   # look at most max_group * SCAN queued jobs for mates (bounded work per take)


class SubmitPool:
    """``workers`` threads calling ``work(specs, intended_time)`` in arrival order."""

    def __init__(self, work: Work, workers: int = 8, *, key: Key | None = None,
                 max_group: int = 1) -> None:
        self.work, self.workers = work, workers
        self.key, self.max_group = key, max(1, max_group)
        self.queue: queue.Queue[tuple[JobSpec, float] | None] = queue.Queue()
        self.dropped: set[int] = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, daemon=True,
                                         name=f"wlgen-submit-{i}") for i in range(workers)]
        for thread in self.threads:
            thread.start()

    def put(self, spec: JobSpec, intended: float) -> None:
        self.queue.put((spec, intended))

    def waiting(self) -> list[JobSpec]:
        """The specs queued but not yet taken by a worker (a snapshot)."""
        with self.queue.mutex:
            return [item[0] for item in self.queue.queue if item is not None]

    def drop(self, seqs: set[int]) -> None:
        """Never submit these if they are still queued (cancelled before submission)."""
        with self.lock:
            self.dropped |= seqs

    def abandon(self) -> None:
        """Forget what is still queued (the run is over: nothing more is submitted)."""
        with self.queue.mutex:
            self.queue.queue.clear()

    def _mates(self, first: JobSpec, intended: float) -> list[JobSpec]:
        """Take the queued jobs that can share ``first``'s array (same key and instant),
        leaving the others in their order."""
        if self.key is None or self.max_group == 1:
            return [first]
        want, group = self.key(first), [first]
        with self.queue.mutex:
            items: deque = self.queue.queue
            kept: list = []
            scanned = 0
            while items and len(group) < self.max_group and scanned < self.max_group * SCAN:
                item = items[0]
                if item is None or item[1] != intended:
                    break   # a stop marker or a later instant: never reorder past it
                items.popleft()
                scanned += 1
                if self.key(item[0]) == want:
                    group.append(item[0])
                else:
                    kept.append(item)
            items.extendleft(reversed(kept))
        return group

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            spec, intended = item
            group = self._mates(spec, intended)
            with self.lock:
                group = [s for s in group if s.seq not in self.dropped]
            if group:
                self.work(group, intended)

    def stop(self, timeout: float = 30) -> None:
        """Finish what is queued, then end the threads."""
        for _ in self.threads:
            self.queue.put(_STOP)
        for thread in self.threads:
            thread.join(timeout)

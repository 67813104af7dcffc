"""The bounded submit worker pool: ``put`` never blocks, so sbatch never moves the clock."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from workload.spec import JobSpec

Work = Callable[[JobSpec, float], None]
_STOP = None


class SubmitPool:
    """``workers`` threads calling ``work(spec, intended_time)`` in arrival order."""

    def __init__(self, work: Work, workers: int = 8) -> None:
        self.work, self.workers = work, workers
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

    def _loop(self) -> None:
        while True:
            item = self.queue.get()
            if item is _STOP:
                return
            spec, intended = item
            with self.lock:
                skip = spec.seq in self.dropped
            if not skip:
                self.work(spec, intended)

    def stop(self, timeout: float = 30) -> None:
        """Finish what is queued, then end the threads."""
        for _ in self.threads:
            self.queue.put(_STOP)
        for thread in self.threads:
            thread.join(timeout)

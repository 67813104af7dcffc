"""The bounded submit worker pool: ``put`` never blocks, so sbatch never moves the clock.

With a ``key``, jobs of the same key meant for the same instant join one group (up to
``max_group``) as they are put: a worker submits a group as one array job. Jobs due at
other instants never join a group, so packing adds no delay. Except when submissions
run behind: a worker that takes a group also takes the groups of the same key queued
behind it that are already due (``clock() >= intended``) and no longer filling (the
current instant's group keeps taking puts: a storm stays one array). They are late; one
array instead of one call each is what lets a cluster catch up (a replay at 20,000x has
~50 shapes in 600 jobs, and one call per job is what it cannot keep up with).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from workload.errors import InputError
from workload.spec import JobSpec

Work = Callable[[list[JobSpec], float], None]
#: What a worker does with a group whose ``work`` raised unexpectedly (a bug, never
#: Slurm's answer): the jobs must still end somewhere, and the worker lives on.
Failed = Callable[[list[JobSpec], float, Exception], None]
Key = Callable[[JobSpec], Hashable]
Group = tuple[list[JobSpec], float, Hashable]   # (specs, intended instant, their key)
CATCH_UP_SCAN = 256   # queued groups a worker looks through for late mates (bounded work)


class SubmitPool:
    """``workers`` threads calling ``work(specs, intended_time)`` in arrival order.

    Not ``queue.Queue``, and no scan for mates at take time unless groups wait behind:
    a storm puts 1,000 jobs in one instant, and per-put wake-ups plus a scan cost more
    than Slurm took for the whole array. A put joins its group in O(1), only a put into
    an empty queue wakes a worker, and a worker that leaves groups behind wakes the next
    one. ``intended`` is the first (earliest) job's instant; ``clock`` is wall time."""

    def __init__(self, work: Work, workers: int = 8, *, key: Key | None = None,
                 max_group: int = 1, clock: Callable[[], float] = time.time,
                 failed: Failed | None = None) -> None:
        self.work, self.workers, self.clock = work, workers, clock
        self.failed = failed
        self.catch_up_from = float("-inf")   # wall time from which late groups pack again
        self.key, self.max_group = key, max(1, max_group) if key else 1
        self.items: deque[Group | None] = deque()   # None: the stop marker, one per worker
        self.open: dict[Hashable, list[JobSpec]] = {}   # groups of ``instant`` not yet full
        self.instant: float | None = None
        self.queued = 0   # jobs put and not yet taken (a count: read on every take)
        self.closed = False   # ``abandon``ed: puts are refused (named by ``never_sent``)
        self.mutex = threading.Lock()
        self.ready = threading.Condition(self.mutex)
        self.dropped: set[int] = set()
        self.unsent: set[int] = set()   # seqs put and never handed to ``work`` (see ``never_sent``)
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._loop, daemon=True,
                                         name=f"wlgen-submit-{i}") for i in range(workers)]
        for thread in self.threads:
            thread.start()

    def put(self, spec: JobSpec, intended: float) -> None:
        """Queue ``spec``; once ``abandon``ed, it is never sent (``never_sent``): checked
        under the mutex ``abandon`` takes, so no put lands behind the stop markers."""
        key = self._key_of(spec)
        with self.mutex:
            refused = self.closed
            if not refused:
                self._join(spec, intended, key)
        if refused:
            with self.lock:
                self.unsent.add(spec.seq)

    def _join(self, spec: JobSpec, intended: float, key: Hashable) -> None:
        """Put ``spec`` in its group of ``intended`` (``mutex`` held)."""
        if intended != self.instant:
            self.open.clear()
            self.instant = intended
        group = self.open.get(key)
        if group is None:
            group = self.open[key] = []
            self._append((group, intended, key))
        group.append(spec)
        self.queued += 1
        if len(group) >= self.max_group:
            del self.open[key]

    def _key_of(self, spec: JobSpec) -> Hashable:
        if self.max_group == 1:
            return object()   # never equal: every job alone
        try:
            return self.key(spec)   # type: ignore[misc]
        except InputError:   # bad input: the job goes alone and ``work`` rejects it, saying why
            return object()

    def _append(self, item: Group | None) -> None:
        """Queue ``item`` (``mutex`` held), waking a worker if the queue was empty."""
        self.items.append(item)
        if len(self.items) == 1:
            self.ready.notify()

    def waiting(self) -> list[JobSpec]:
        """The specs queued but not yet taken by a worker (a snapshot)."""
        with self.mutex:
            return [spec for item in self.items if item is not None for spec in item[0]]

    def pause_catch_up(self, seconds: float) -> None:
        """Submit late groups as they are for ``seconds`` (their arrays did not fit)."""
        with self.mutex:
            self.catch_up_from = self.clock() + seconds

    def backlog(self) -> int:
        """Jobs queued and not yet taken by a worker."""
        return self.queued

    def drop(self, seqs: set[int]) -> None:
        """Never submit these if they are still queued (cancelled before submission)."""
        with self.lock:
            self.dropped |= seqs

    def abandon(self) -> None:
        """Forget what is still queued (the run is over: nothing more is submitted); the
        jobs forgotten are named by ``never_sent``."""
        with self.mutex:
            forgotten = [s.seq for item in self.items if item is not None for s in item[0]]
            self.closed = True
            self.items.clear()
            self.open.clear()
            self.queued = 0
        with self.lock:
            self.unsent.update(forgotten)

    def never_sent(self) -> set[int]:
        """The jobs put here that no worker submitted: forgotten by ``abandon`` or
        ``drop``ped while queued (a run counts them as never submitted)."""
        with self.lock:
            return set(self.unsent)

    def _take(self) -> Group | None:
        """The next group to submit (None: stop), waiting for one."""
        with self.ready:
            while not self.items:
                self.ready.wait()
            item = self.items.popleft()
            if item is not None:
                self._close(item)
                if self.items and self.max_group > 1 and self.clock() >= self.catch_up_from:
                    item = self._catch_up(item)
                self.queued -= len(item[0])
            if self.items:
                self.ready.notify()   # more work: the next idle worker takes it
        return item

    def _close(self, item: Group) -> None:
        """``item`` is taken (``mutex`` held): later jobs of its key start a new group."""
        if self.open.get(item[2]) is item[0]:
            del self.open[item[2]]

    def _catch_up(self, item: Group) -> Group:
        """``item`` with the already-due groups of its key queued behind it (``mutex``
        held), up to ``max_group`` jobs: late jobs go in one call, none is held back."""
        specs, intended, key = item
        now, kept, merged = self.clock(), [], list(specs)
        for _ in range(min(len(self.items), CATCH_UP_SCAN)):
            other = self.items.popleft()
            if (other is not None and other[2] == key and other[1] <= now
                    and self.open.get(key) is not other[0]   # still filling: let it fill
                    and len(merged) + len(other[0]) <= self.max_group):
                self._close(other)
                merged += other[0]
            else:
                kept.append(other)
        self.items.extendleft(reversed(kept))   # the others keep their order and place
        return (merged, intended, key) if len(merged) > len(specs) else item

    def _loop(self) -> None:
        while (item := self._take()) is not None:
            group, intended, _ = item
            with self.lock:
                self.unsent.update(s.seq for s in group if s.seq in self.dropped)
                group = [s for s in group if s.seq not in self.dropped]
            if group:
                self._work(group, intended)

    def _work(self, group: list[JobSpec], intended: float) -> None:
        """``work`` the group; an exception it lets through (a bug) goes to ``failed``
        with the group instead of ending this thread, which would strand every group
        queued behind it."""
        try:
            self.work(group, intended)
        except Exception as error:   # noqa: BLE001 (handed on with the jobs, never dropped)
            if self.failed is None:
                raise
            self.failed(group, intended, error)

    def stop(self, timeout: float = 30) -> None:
        """Finish what is queued, then end the threads."""
        with self.mutex:
            for _ in self.threads:
                self._append(None)
        for thread in self.threads:
            thread.join(timeout)

"""Deciding jobs without Slurm, and releasing the jobs held for their parents.

A job with dependencies is held (depends.py) until each parent has a Slurm id or was
decided. Then it goes to the pool, or, when a parent's end rules it out, ends here as
the simulator ends it (CANCELLED DependencyNeverSatisfied), never sent. A job Slurm
refused, or that a bug kept from being sent, ends REJECTED here. Each job is decided
once: ``decided`` holds the seqs ended here, and a job Slurm took is the tracker's.

A mixin of SlurmBackend (backend.py), which owns the attributes named below.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from workload.backends.base import Emit
from workload.backends.slurm.depends import NEVER, Parents
from workload.backends.slurm.lag import Lag
from workload.backends.slurm.pool import SubmitPool
from workload.backends.slurm.tracker import Tracker
from workload.event import CANCELLED, END, PENDING, REJECTED, SUBMIT, Event
from workload.spec import JobSpec


class HeldRelease:
    """The held jobs' release and the jobs decided without Slurm (see the module)."""

    emit: Emit
    epoch: float
    partition: str | None
    closing: bool
    stopping: bool
    lock: threading.Lock
    tracker: Tracker
    parents: Parents
    pool: SubmitPool | None
    lag: Lag
    released: dict[int, float]   # seq -> when a held job was released
    unsent: set[int]             # released after the run stopped: never submitted
    decided: set[int]            # ended here (REJECTED or never sent): never again

    def _one_by_one(self, specs: list[JobSpec]) -> None:
        raise NotImplementedError   # backend.py

    def _sendable(self, specs: list[JobSpec]) -> tuple[list[JobSpec], str | None]:
        """``specs`` as they may go now, with their one ``--dependency`` (None: none).

        Each job's dependency is rendered once, here, at send time (a parent that ended
        while they waited for a worker is judged by wlgen, never named to a Slurm that
        may have purged it), and that rendering is what sbatch gets: a parent's end
        noted later cannot drop it from ``--dependency`` unread. Those a parent's end
        rules out end here; a group whose jobs no longer share one ``--dependency``
        goes one by one (an array has one)."""
        if not specs[0].depends:
            return specs, None   # the group's key holds its dependency: none has one
        rendered = [(spec, *self.parents.render(spec)) for spec in specs]
        for spec, _, doomed in rendered:
            if doomed:
                for child in self._end_never(spec):
                    self._go(child)
        kept = [(spec, expression) for spec, expression, doomed in rendered if not doomed]
        expressions = {expression for _, expression in kept}
        if len(expressions) > 1:
            self._one_by_one([spec for spec, _ in kept])
            return [], None
        return [spec for spec, _ in kept], (expressions.pop() if kept else None)

    def _intended(self, spec: JobSpec) -> float:
        """When ``spec`` was meant to be submitted: its time in the workload, or its release
        for a job held for its parents' Slurm ids (that wait is not submit lateness)."""
        return self.released.get(spec.seq, self.epoch + spec.submit_s)

    def _failed_group(self, specs: list[JobSpec], intended: float, error: Exception) -> None:
        """A submit raised what no rule expects (a bug, not Slurm's answer): its jobs end
        REJECTED with the error's words (on stderr too), their held children are decided,
        the worker lives on. A job already decided (tracked: Slurm took it, the watcher's;
        or ended here) is not decided again."""
        why = f"wlgen could not submit it: {type(error).__name__}: {error}"
        self.lag.say(f"wlgen: {len(specs)} job(s) (seq {specs[0].seq}...) failed to "
                     f"submit: {why}")
        with self.lock:
            tracked = self.tracker.tracks
            specs = [spec for spec in specs
                     if spec.seq not in tracked and spec.seq not in self.decided]
        now = time.time()
        for spec in specs:
            self._reject(spec, why, 0.0, now - self._intended(spec))
        self._resolved(specs, [None] * len(specs))

    def _resolved(self, specs: list[JobSpec], job_ids: list[str | None]) -> None:
        """These jobs have Slurm ids (None: refused): the jobs held for them go now,
        their intended submit time the moment they are released (one moment for all
        the children of this call: children of one shape still share an array)."""
        assert self.pool is not None
        now = time.time()
        for spec, job_id in zip(specs, job_ids):
            self.released.pop(spec.seq, None)
            for child in self.parents.resolved(spec, job_id):
                self.released[child.seq] = max(now, self.epoch + child.submit_s)
                self._go(child)

    def _go(self, first: JobSpec) -> None:
        """To the pool, unless a parent's end already rules it out: then it ends as the
        simulator ends it, CANCELLED DependencyNeverSatisfied, never sent to Slurm (and
        its own held children are decided in turn: a loop, as chains may be long). A
        job whose release raised ends REJECTED with the error (``_failed_group``): it
        left ``held`` already, and must end somewhere."""
        assert self.pool is not None
        if self.closing or self.stopping:
            self.unsent.add(first.seq)   # the run is over: never submitted
            return
        todo = [first]
        while todo:
            spec = todo.pop(0)
            try:
                if self.parents.doomed(spec):
                    todo += self._end_never(spec)
                else:
                    self.pool.put(spec, self._intended(spec))
            except Exception as error:   # noqa: BLE001 (the job ends saying so)
                self._failed_group([spec], self._intended(spec), error)

    def _end_never(self, spec: JobSpec) -> list[JobSpec]:
        """End ``spec`` CANCELLED DependencyNeverSatisfied without sending it; the held
        jobs this decides."""
        now = time.time()
        self.decided.add(spec.seq)
        common = self._common(spec, spec.partition or "")
        self.emit(Event(SUBMIT, now, spec.seq, "", PENDING, **common))
        self.emit(Event(END, now, spec.seq, "", CANCELLED, reason=NEVER, **common))
        self.released.pop(spec.seq, None)
        return self.parents.resolved(spec, None, CANCELLED)

    def _reject(self, spec: JobSpec, why: str, latency: float, late: float) -> None:
        now = time.time()
        self.decided.add(spec.seq)
        common = self._common(spec, spec.partition or self.partition or "")
        self.emit(Event(SUBMIT, now, spec.seq, "", PENDING, submit_latency_s=latency,
                        submit_error_s=late, **common))
        self.emit(Event(END, now, spec.seq, "", REJECTED, reason=why[:300], **common))

    @staticmethod
    def _common(spec: JobSpec, partition: str) -> dict[str, Any]:
        """The fields of a decided job's events: every component's CPUs, as the tracker
        counts a heterogeneous job Slurm took (``total_procs``)."""
        return dict(user=spec.user, partition=partition, procs=spec.total_procs)

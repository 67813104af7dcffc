"""Lifecycle events from snapshots: a pure state machine per job of the run.

Events are derived from the timestamps in each record (Slurm's own), not from the
moment a change was noticed, so a job that was submitted, ran and ended between two
polls still yields submit, start and end, in that order, with the right times.
"""

from __future__ import annotations

import heapq
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from workload.backends.slurm.pack import task_id
from workload.backends.slurm.parse import JobRecord
from workload.event import (END, FINAL_STATES, PENDING, REQUEUED, RUNNING, START, STATE,
                            SUBMIT, Event)
from workload.spec import JobSpec


@dataclass(slots=True)
class Track:
    job_id: str
    user: str
    partition: str
    procs: int
    timing: tuple[float, float]            # (submit latency, submit error) of the sbatch
    submitted: bool = False
    started: float | None = None
    requeued: bool = False
    ended: bool = False
    nodes: tuple[str, ...] = field(default=())
    gpus: tuple[str, ...] = field(default=())   # "node:index", when Slurm named them
    waited: str = ""                       # the last reason Slurm gave while it pended
    cancel_after: float | None = None      # cancel this long after it started (sacct)


class Tracker:
    """The run's jobs by sequence number, and the events each new record implies."""

    def __init__(self) -> None:
        self._tracks: dict[int, Track] = {}
        # Arrays recorded but not yet expanded into one Track per task: like slurmctld,
        # which keeps a pending array as one record. Expanding 1,000 tasks costs ~0.4 ms,
        # which a worker would otherwise spend before its next sbatch.
        self._arrays: list[tuple[str, list[JobSpec], str, list[tuple[float, float]]]] = []
        self._arrays_lock = threading.Lock()
        # (when, seq, start) of jobs to cancel at a point of their run, earliest first.
        self._cancels: list[tuple[float, int, float]] = []

    @property
    def tracks(self) -> dict[int, Track]:
        """seq -> Track of every job accepted so far (arrays expanded on first look)."""
        if self._arrays:
            with self._arrays_lock:   # held until done: no reader sees half an array
                for job_id, specs, partition, timings in self._arrays:
                    self._tracks.update({spec.seq: Track(task_id(job_id, i), spec.user,
                                                         partition, spec.procs, timing,
                                                         cancel_after=spec.cancel_after_s)
                                         for i, (spec, timing) in enumerate(zip(specs,
                                                                                timings))})
                self._arrays = []
        return self._tracks

    def add(self, seq: int, job_id: str, spec: JobSpec, partition: str,
            timing: tuple[float, float]) -> None:
        """A job sbatch accepted (or one found again by its tag after a lost answer)."""
        self.tracks[seq] = Track(job_id, spec.user, partition, spec.total_procs, timing,
                                 cancel_after=spec.cancel_after_s)

    def add_array(self, job_id: str, specs: list[JobSpec], partition: str,
                  timing: tuple[float, float],
                  lates: list[float] | None = None) -> None:
        """The tasks of array job ``job_id``: task i is ``specs[i]`` (see pack), each with
        the array's submit latency and its own lateness (``lates[i]``, when the jobs
        were due at different instants) or the array's."""
        latency, late = timing
        timings = [(latency, x) for x in lates] if lates else [timing] * len(specs)
        with self._arrays_lock:
            self._arrays.append((job_id, list(specs), partition, timings))

    def unfinished(self) -> dict[int, str]:
        """seq -> job id of every accepted job without an end event yet."""
        return {seq: t.job_id for seq, t in self.tracks.items() if not t.ended}

    def due_cancels(self, now: float) -> list[tuple[int, str]]:
        """(seq, job id) of running jobs whose source was cancelled this far into its run
        (``JobSpec.cancel_after_s``, from Slurm's own start time): each given once, or
        again after ``cancel_again``."""
        out = []
        while self._cancels and self._cancels[0][0] <= now:
            _, seq, started = heapq.heappop(self._cancels)
            track = self.tracks.get(seq)
            if track is not None and not track.ended and track.started == started:
                out.append((seq, track.job_id))
        return out

    def cancel_again(self, seq: int, when: float) -> None:
        """A due cancel failed: hand job ``seq`` out again at ``when`` (if it still runs
        the same start then)."""
        track = self.tracks.get(seq)
        if track is not None and track.started is not None:
            heapq.heappush(self._cancels, (when, seq, track.started))

    def next_cancel(self) -> float | None:
        """When the earliest pending cancel is due (None: none is)."""
        return self._cancels[0][0] if self._cancels else None

    def observe(self, seq: int, rec: JobRecord) -> list[Event]:
        """Events for what ``rec`` shows beyond what was already reported."""
        track = self.tracks.get(seq)
        if track is None or track.ended or rec.job_id != track.job_id:
            return []
        out: list[Event] = []
        if rec.state == PENDING and rec.reason not in ("None", ""):
            track.waited = rec.reason
        if not track.submitted:
            if rec.submit is None:
                return out
            latency, error = track.timing
            out.append(self._event(SUBMIT, rec.submit, seq, track, PENDING,
                                   submit_latency_s=latency, submit_error_s=error))
            track.submitted = True
        out += self._requeue_or_start(seq, track, rec)
        if rec.state in FINAL_STATES and rec.end is not None:
            code = rec.exit_code if rec.exit_code is not None else (
                0 if rec.state == "COMPLETED" else None)
            out.append(self._event(END, max(rec.end, track.started or rec.end), seq, track,
                                   rec.state, exit_code=code, reason=_reason(rec)))
            track.ended = True
        return out

    def _requeue_or_start(self, seq: int, track: Track, rec: JobRecord) -> list[Event]:
        out: list[Event] = []
        back_in_queue = rec.state == REQUEUED or (rec.state == PENDING and track.started)
        restarted = rec.start is not None and track.started not in (None, rec.start)
        if (back_in_queue and not track.requeued) or restarted:
            when = max(rec.submit or 0.0, track.started or 0.0) or time.time()
            out.append(self._event(STATE, when, seq, track, REQUEUED, reason=_reason(rec)))
            track.started, track.requeued = None, True
        if rec.start is not None and track.started is None and (
                rec.state == RUNNING or rec.state in FINAL_STATES):
            track.nodes, track.started, track.requeued = rec.nodes, rec.start, False
            track.gpus = rec.gpus
            if track.cancel_after is not None:
                heapq.heappush(self._cancels, (rec.start + track.cancel_after, seq, rec.start))
            # Why it waited and the priority it started with (issue 15 asks why a job
            # waited): the last pending reason seen ("" if it never pended in a poll).
            out.append(self._event(START, rec.start, seq, track, RUNNING, reason=track.waited,
                                   priority=rec.priority))
        return out

    @staticmethod
    def _event(kind: str, when: float, seq: int, track: Track, state: str,
               **extra: Any) -> Event:
        return Event(kind, when, seq, track.job_id, state, track.user, track.partition,
                     track.procs, track.nodes if kind != SUBMIT else (),
                     gpus=track.gpus if kind == START else (), **extra)


def _reason(rec: JobRecord) -> str:
    return "" if rec.reason in ("None", "") else rec.reason

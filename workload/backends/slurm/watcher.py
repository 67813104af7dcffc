"""The lifecycle watcher: one queue query for all of the run's jobs per poll, accounting
for the rest.

squeue (or slurmrestd's GET jobs) keeps finished jobs for MinJobAge (300 s by default)
with their final state and times, so one snapshot covers pending, running and recently
ended jobs alike. Jobs of the run missing from it (purged, or slurmctld lost them) are
reconciled from accounting in batches; accounting lags the queue by a few seconds, so
a job not there yet is simply asked about again on the next poll. Every answer or
failure is reported to the Contact, which decides when the controller is lost.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable

from workload.backends.slurm.cancel import GIVE_UP_S
from workload.backends.slurm.client import ClientFailure, SlurmClient
from workload.backends.slurm.contact import Contact
from workload.backends.slurm.depends import NEVER
from workload.backends.slurm.lag import to_stderr
from workload.backends.slurm.parse import JobRecord
from workload.backends.slurm.retry import Patience
from workload.backends.slurm.tracker import Tracker
from workload.event import CANCELLED, PENDING, Event

MIN_INTERVAL_S, MAX_INTERVAL_S = 0.25, 3.0
CANCEL_AGAIN_S = 1.0       # a due cancel that failed is tried again this much later
HELD_AFTER_LAUNCH_FAILURE = "launch failed requeued held"   # squeue's reason, 22.05+
ACCOUNTING_CHUNK = 400     # job ids per accounting query
# Pending reasons that no scheduling pass clears while the run's slurm.conf stands: a
# dependency that cannot be met, and a partition's MaxTime or MaxNodes under its default
# EnforcePartLimits=NO (slurm.conf(5): "accepted and remain queued until the partition
# limits are altered").
NEVER_REASONS = frozenset({NEVER, "PartitionTimeLimit", "PartitionNodeLimit"})
# An abandoned job: the verb that failed, the command that would end the wait.
CANCEL_FAILED = ("cancelled", "scancel")
RELEASE_FAILED = ("released", "scontrol release")


class Watcher:
    """Polls in its own thread until ``stop`` or the controller is lost; every event goes
    through ``emit``."""

    def __init__(self, client: SlurmClient, tracker: Tracker, lock: threading.Lock,
                 prefix: str, emit: Callable[[Event], None], contact: Contact, *,
                 patience: Patience | None = None,
                 say: Callable[[str], None] = to_stderr) -> None:
        self.client, self.tracker, self.lock = client, tracker, lock
        self.prefix, self.emit, self.contact, self.say = prefix, emit, contact, say
        self.stopping = threading.Event()
        # A cancel that gets no answer is tried again on later polls (never with a
        # sleep inside one: the poll goes on) until give_up_s after its first failure.
        self.patience = patience or Patience(GIVE_UP_S)
        self.failing: dict[str, float] = {}   # job id -> its cancel's (release's) first failure
        self.polls = self.errors = 0
        self.last_error = ""
        self.changed = self.released = self.cancelled = self.never = self.abandoned = 0
        self.thread = threading.Thread(target=self._loop, daemon=True, name="wlgen-watcher")

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 30) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _loop(self) -> None:
        interval = MIN_INTERVAL_S
        while not self.stopping.is_set() and self.contact.lost is None:
            began = time.monotonic()
            changed = self.poll()
            took = time.monotonic() - began
            # Quick while things change, slower when idle, and never more than about a
            # third of slurmctld's time spent answering us.
            interval = MIN_INTERVAL_S if changed else min(MAX_INTERVAL_S, interval * 1.5)
            wait = max(interval, 2 * took)
            with self.lock:
                due = self.tracker.next_cancel()
            if due is not None:    # a cancel falls due sooner: be there (see _cancel_due)
                wait = max(0.0, min(wait, due - time.time()))
            self.stopping.wait(wait)

    def poll(self) -> bool:
        """One round: the queue, then accounting for the missing; True when any event
        came out."""
        with self.lock:
            expected = self.tracker.unfinished()
        if not expected:
            return False
        self.polls += 1
        self.changed = 0
        records = self._query(self.client.queue)
        if records is None:
            return False
        seen = self._apply(records, expected)
        self._cancel_due()
        self._release_held(records, expected)
        self._cancel_never(records, expected)
        missing = [job for seq, job in expected.items() if seq not in seen]
        for i in range(0, len(missing), ACCOUNTING_CHUNK):
            chunk = missing[i:i + ACCOUNTING_CHUNK]
            found = self._query(functools.partial(self.client.accounting, chunk))
            seen |= self._apply(found or [], expected)
        return bool(self.changed)

    def _cancel_due(self) -> None:
        """Cancel the jobs whose source was cancelled at this point of its run (a sacct
        replay: the simulator does the same); their end comes from Slurm as CANCELLED.
        A cancel that fails is tried again on a later poll, up to the patience."""
        with self.lock:
            due = self.tracker.due_cancels(time.time())
        if not due:
            return
        ids = [job for _, job in due]
        error = self._try(self.client.cancel, ids)
        if error is None:
            self.cancelled += len(ids)
            return
        over = self._given_up(ids, error)
        with self.lock:
            for seq, job in due:
                if job not in over:
                    self.tracker.cancel_again(seq, time.time() + CANCEL_AGAIN_S)
        if over:
            self.say(f"wlgen: could not cancel job(s) {' '.join(over)} at the point of "
                     f"their run where their source was cancelled: {error}; they run to "
                     f"their end")

    def _release_held(self, records: list[JobRecord], expected: dict[int, str]) -> None:
        """Release the run's jobs that Slurm held after a failed launch (a node died under
        them): held, they would pend forever and the run would never end. Their REQUEUED
        event is already out; released, they run again and end normally. A release Slurm
        refuses, or that gets no answer for the patience's give-up time, does not keep the
        run waiting: those jobs end in the run's record, said on stderr too."""
        ours = set(expected.values())
        held = [r for r in records if r.job_id in ours and r.state == PENDING
                and held_after_launch_failure(r)]
        if not held:
            return
        if self._act_or_abandon(held, expected, self.client.release, RELEASE_FAILED):
            self.released += len(held)

    def _cancel_never(self, records: list[JobRecord], expected: dict[int, str]) -> None:
        """Cancel the run's jobs that can never start (``NEVER_REASONS``): a dependency
        that can never be met, as slurmctld does with ``kill_invalid_depend`` (the
        container cluster does not set it, a site may not), or a partition limit the job
        exceeds. Left pending, the run would never end. They end CANCELLED with that
        reason (squeue keeps it), as the simulator ends them.

        A cancel Slurm refuses, or that gets no answer for the patience's give-up time,
        does not keep the run waiting: the jobs end in the run's record CANCELLED with
        the reason and why they are still pending in Slurm, said on stderr too."""
        ours = set(expected.values())
        stuck = [r for r in records if r.job_id in ours and r.state == PENDING
                 and r.reason in NEVER_REASONS]
        if not stuck or self._stop_reason() is not None:   # stopping: named as unfinished
            return
        if self._act_or_abandon(stuck, expected, self.client.cancel, CANCEL_FAILED):
            self.never += len(stuck)

    def _act_or_abandon(self, picked: list[JobRecord], expected: dict[int, str],
                        act: Callable[[list[str]], object],
                        failed: tuple[str, str]) -> bool:
        """One try of ``act`` on ``picked``; True when it went through. The jobs it failed
        on for good (``_given_up``) end in the run's record (``_abandon``)."""
        error = self._try(act, [r.job_id for r in picked])
        if error is None:
            return True
        over = self._given_up([r.job_id for r in picked], error)
        if over:
            self._abandon([r for r in picked if r.job_id in over], expected,
                          next(iter(over.values())), failed)
        return False

    def _try(self, act: Callable[[list[str]], object], ids: list[str]
             ) -> ClientFailure | None:
        """One try at a cancel or release of ``ids`` (no retry loop: the next poll is the
        retry); the failure, if any."""
        try:
            act(ids)
        except ClientFailure as error:
            self.last_error = str(error)[-300:]
            self.errors += 1
            return error
        for job in ids:
            self.failing.pop(job, None)
        return None

    def _given_up(self, ids: list[str], error: ClientFailure) -> dict[str, str]:
        """Of ``ids`` whose cancel just failed, those to try no more, each with why:
        those Slurm said no to, and those failing for the patience's give-up time."""
        now = self.patience.clock()
        out = {}
        for job in ids:
            if error.refused and not error.refuses(job):
                continue    # cancelled with the others (asked again next poll: a no-op)
            first = self.failing.setdefault(job, now)
            if error.refused:
                out[job] = str(error)
            elif now - first >= self.patience.give_up_s:
                out[job] = f"gave up after {now - first:.0f} s: {error}"
        for job in out:
            self.failing.pop(job, None)
        return out

    def _abandon(self, stuck: list[JobRecord], expected: dict[int, str], why: str,
                 failed: tuple[str, str]) -> None:
        """End ``stuck`` (pending, never to start unless wlgen's cancel or release had
        worked) in the run's record, and wait for them no longer. ``failed``: the verb
        that failed, the command that would end the wait."""
        self.last_error = why[-300:]
        self.abandoned += len(stuck)
        ids = " ".join(r.job_id for r in stuck)
        verb, fix = failed
        waits = ", ".join(sorted({r.reason for r in stuck}))
        self.say(f"wlgen: job(s) {ids} can never start ({waits}) and could not be {verb}: "
                 f"{why}; the run stops waiting for them (still pending in Slurm: "
                 f"{fix} {ids})")
        now = time.time()
        ended = [dataclasses.replace(r, state=CANCELLED, end=now,
                                     reason=f"{r.reason} (not {verb}: {why})"[:300])
                 for r in stuck]
        self._apply(ended, expected)

    def _stop_reason(self) -> str | None:
        return self.contact.stop_reason(self.stopping.is_set())

    def _query(self, query: Callable[[], list[JobRecord]]) -> list[JobRecord] | None:
        """Records, or None when the query failed (slurmctld down: try next poll)."""
        try:
            records = query()
        except ClientFailure as error:
            self.errors += 1
            self.last_error = str(error)[-300:]
            self.contact.missed(self.last_error)
            return None
        self.contact.answered()
        return records

    def _apply(self, records: list[JobRecord], expected: dict[int, str]) -> set[int]:
        """Feed the run's records to the tracker and emit what follows; the seqs seen."""
        seen: set[int] = set()
        # By Slurm id, not by name: the tasks of an array share one name ("123_4" is
        # task 4 of array 123); the name prefix still confirms the job is this run's.
        by_id = {job: seq for seq, job in expected.items()}
        for rec in records:
            seq = by_id.get(rec.job_id)
            if seq is None or not rec.name.startswith(self.prefix):
                continue
            seen.add(seq)
            with self.lock:
                events = self.tracker.observe(seq, rec)
            for event in events:
                self.emit(event)
            self.changed += len(events)
        return seen


def held_after_launch_failure(rec: JobRecord) -> bool:
    """True for a job slurmctld requeued and held because its batch launch failed."""
    return rec.reason.lower().startswith(HELD_AFTER_LAUNCH_FAILURE)

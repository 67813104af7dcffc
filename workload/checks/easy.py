"""The EASY property: backfilled jobs never delay the head job's reservation.

Method, from the observed schedule alone (per partition, in the queue order of the
scheduler that made it, workload.checks.queue: submit order for textbook runs and
priority/basic, Slurm's multifactor priority otherwise):

1. At every instant t at which some job started, the *head* is the first job in queue
   order that was submitted by t and still waiting after t. Jobs that started at t and
   come after the head were *backfilled* at t.
2. If something was backfilled at t, rebuild the head's reservation the way EASY
   computed it just before: take the jobs running at t that were not backfilled at t,
   assume each ends at start + its time limit, and walk those ends in order until the
   head's CPUs are free. That moment is the shadow time.
3. EASY promises the head starts no later than that shadow time (the reservation only
   moves earlier as jobs end early), so a head that started after shadow + tolerance
   is a violation: the backfilled jobs at t are the suspects.

The reservation is in CPUs, as in the simulator and textbook EASY. Heads that pin a
node count or request memory can be delayed by fragmentation that a CPU count cannot
see, so they are skipped (counted in the note). Node failures shrink the cluster under
a reservation, so runs with NODE_FAIL or requeues are not checked.

Slurm (simulator Slurm mode, real Slurm) holds a job to its limit rounded up to whole
minutes, plans on a ``bf_resolution`` grid (backfill.c rounds a reservation's start and
end down to it) and backfills every ``bf_interval``:
expected ends use the rounded limits, and the head may start up to bf_resolution +
bf_interval after the exact shadow time (added to ``tolerance_s``, said in the note).
With fair-share and several users the head at an instant is unknown: n/a.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Callable

from workload.checks.order import arrival
from workload.checks.observed import Observed
from workload.checks.queue import queue_order
from workload.checks.result import CheckResult, Verdict, not_applicable
from workload.checks.semantics import Semantics
from workload.event import NODE_FAIL, REQUEUED
from workload.run.schedule import JobRecord
from workload.spec import JobSpec

NAME = "easy_reservation"


def check_easy_reservation(obs: Observed, *, tolerance_s: float = 0.0) -> CheckResult:
    if not obs.requests:
        return not_applicable(NAME, "time limits unknown (no requests)")
    if any(e.state in (NODE_FAIL, REQUEUED) for e in obs.events):
        return not_applicable(NAME, "node failures change capacity under a reservation")
    queue = queue_order(obs)
    if isinstance(queue, str):
        return not_applicable(NAME, queue)
    capacity: dict[str, int] = defaultdict(int)
    for node in obs.cluster.nodes:
        for part in node.partitions:
            capacity[part] += node.cpus
    by_part: dict[str, list[JobRecord]] = defaultdict(list)
    for job in obs.jobs:
        if job.seq in obs.requests:
            by_part[job.partition].append(job)
    if queue.per_user and any(len({j.user for j in jobs}) > 1 for jobs in by_part.values()):
        return not_applicable(NAME, "fair-share moves users' priorities over time and start "
                                    "events show each only at its own start: the head job "
                                    "at an instant is unknown")
    grid, why = slurm_slack(obs.semantics)
    limit = obs.semantics.limit_s
    verdict, skipped = Verdict(NAME), 0
    for part, jobs in by_part.items():
        rank = {j.seq: (-queue.key.get(j.seq, -math.inf) if queue.key else 0.0, j.submit,
                        arrival(j.job_id), j.seq) for j in jobs}
        skipped += _partition(jobs, obs.requests, capacity.get(part, 0), tolerance_s + grid,
                              verdict, rank, limit)
    notes = [queue.note, why] + ([f"{skipped} head(s) with pinned nodes or memory skipped"]
                                 if skipped else [])
    return verdict.result("; ".join(n for n in notes if n))


def slurm_slack(sem: Semantics) -> tuple[float, str]:
    """How late Slurm's backfill may start the head against the exact shadow time, and
    why: it plans on a ``bf_resolution`` grid and runs every ``bf_interval``."""
    if not sem.slurm:
        return 0.0, ""
    slack = sem.bf_resolution_s + sem.bf_interval_s
    return slack, (f"Slurm backfill: tolerance {slack:g} s = bf_resolution "
                   f"{sem.bf_resolution_s:g} s + bf_interval {sem.bf_interval_s:g} s; "
                   f"limits rounded up to whole minutes")


def shadow_time(running: list[tuple[float, int]], free: int, need: int) -> float:
    """When ``need`` CPUs are free if each running (expected end, procs) ends on time."""
    if need <= free:
        return -float("inf")
    for end, procs in sorted(running):
        free += procs
        if free >= need:
            return end
    return float("inf")


def _partition(jobs: list[JobRecord], requests: dict[int, JobSpec], capacity: int,
               tol: float, verdict: Verdict, key: dict[int, tuple],
               limit: Callable[[float], float]) -> int:
    """Check one partition, jobs in queue order ``key``; returns how many heads were
    skipped."""
    starts: dict[float, list[JobRecord]] = defaultdict(list)
    for job in jobs:
        if job.start is not None:
            starts[job.start].append(job)
    arrivals = sorted(jobs, key=lambda j: (j.submit, key[j.seq]))   # by when they queue
    pending: list[tuple[tuple, JobRecord]] = []
    running: dict[int, JobRecord] = {}
    nxt, skipped = 0, 0
    for t in sorted(starts):
        while nxt < len(arrivals) and arrivals[nxt].submit <= t:
            heapq.heappush(pending, (key[arrivals[nxt].seq], arrivals[nxt]))
            nxt += 1
        running = {s: j for s, j in running.items() if j.end > t}
        head = _head(pending, t)
        started = starts[t]
        if head is None:
            running.update((j.seq, j) for j in started)
            continue
        backfilled = [j for j in started if key[j.seq] > key[head.seq]]
        running.update((j.seq, j) for j in started if key[j.seq] < key[head.seq])
        if backfilled:
            skipped += _judge(head, backfilled, running, requests, capacity, t, tol, verdict,
                              limit)
        running.update((j.seq, j) for j in backfilled)
    return skipped


def _head(pending: list, t: float) -> JobRecord | None:
    """The earliest-submitted job still waiting after instant t (lazy heap cleanup)."""
    while pending:
        job = pending[0][1]
        ran_or_gone = (job.start is not None and job.start <= t) or (
            job.start is None and job.end <= t)
        if not ran_or_gone:
            return job
        heapq.heappop(pending)
    return None


def _judge(head: JobRecord, backfilled: list[JobRecord], running: dict[int, JobRecord],
           requests: dict[int, JobSpec], capacity: int, t: float, tol: float,
           verdict: Verdict, limit: Callable[[float], float]) -> int:
    spec = requests[head.seq]
    if spec.nodes is not None or spec.mem_per_cpu_mb is not None:
        return 1
    if head.start is None:
        return 0   # cancelled while waiting: no start to judge
    verdict.count()
    expected = [(j.start + limit(requests[j.seq].time_limit_s), j.procs) for j in running.values()
                if j.seq in requests and j.start is not None]
    free = capacity - sum(j.procs for j in running.values())
    shadow = max(t, shadow_time(expected, free, head.procs))
    if head.start > shadow + tol:
        verdict.fail(head=head.seq, head_job_id=head.job_id, at=t, shadow=shadow,
                     head_start=head.start, delayed_by_s=head.start - shadow,
                     backfilled=[j.seq for j in backfilled][:10])
    return 0

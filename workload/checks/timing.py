"""Times every job must respect: its submit (or begin) time, and its time limit."""

from __future__ import annotations

import math

from workload.checks.attempts import attempts
from workload.checks.observed import Observed
from workload.checks.result import CheckResult, Verdict, not_applicable
from workload.checks.semantics import Semantics
from workload.event import TIMEOUT


def check_started_after_submit(obs: Observed, *, tolerance_s: float = 0.0) -> CheckResult:
    """No job started before it was submitted (within ``tolerance_s``).

    Begin times (``sbatch --begin``) belong here too once JobSpec carries one; today no
    source makes them, so the submit time is the earliest legal start.
    """
    verdict = Verdict("started_after_submit")
    for job in obs.jobs:
        if job.start is None:
            continue
        verdict.count()
        if job.start < job.submit - tolerance_s:
            verdict.fail(seq=job.seq, job_id=job.job_id, submit=job.submit, start=job.start,
                         early_by_s=job.submit - job.start)
    return verdict.result()


def check_within_time_limit(obs: Observed, *, tolerance_s: float = 0.0) -> CheckResult:
    """Every run (each attempt of a requeued job) ended by start + its effective limit +
    tolerance, and a job ended TIMEOUT ran at least that limit - tolerance (not killed
    early).

    The effective limit is the scheduler's (``obs.semantics``): textbook runs kill at the
    exact request; Slurm (simulator Slurm mode, real Slurm) rounds the request up to
    whole minutes and kills at the first time-limit check (every 30 s) after that plus
    OverTimeLimit. Real Slurm's KillWait and polling lag are the tolerance's to cover.
    """
    if not obs.requests:
        return not_applicable("within_time_limit", "time limits unknown (no requests)")
    sem = obs.semantics
    verdict = Verdict("within_time_limit")
    for a in attempts(obs.events):
        spec = obs.requests.get(a.seq)
        if spec is None or a.stop == float("inf"):
            continue
        verdict.count()
        ran, limit = a.stop - a.start, sem.kill_by_s(spec.time_limit_s)
        if ran > limit + tolerance_s + resolution(a.start, a.stop):
            verdict.fail(seq=a.seq, job_id=a.job_id, start=a.start, end=a.stop, ran_s=ran,
                         limit_s=spec.time_limit_s, kill_by_s=limit)
    for job in obs.jobs:
        spec = obs.requests.get(job.seq)
        if job.state != TIMEOUT or spec is None:
            continue
        earliest = sem.limit_s(spec.time_limit_s) + (sem.over_time_limit_s or 0.0)
        if job.run < earliest - tolerance_s - resolution(job.end):
            verdict.fail(seq=job.seq, job_id=job.job_id, state=job.state, ran_s=job.run,
                         limit_s=spec.time_limit_s, earliest_kill_s=earliest,
                         problem="TIMEOUT before its limit")
    return verdict.result(_limit_note(sem))


def _limit_note(sem: Semantics) -> str:
    if not sem.slurm:
        return ""
    over = "UNLIMITED" if sem.over_time_limit_s is None else f"{sem.over_time_limit_s:g} s"
    return (f"Slurm limits: request rounded up to whole minutes + OverTimeLimit {over} "
            f"+ {sem.time_check_s:g} s time-limit check")


def resolution(*times: float) -> float:
    """How far a difference of these stored times can be from the true duration.

    Events carry Unix times (epoch + t) as floats: at today's epochs one unit in the last
    place is 2.4e-7 s, so a job killed at exactly its 63.3 s limit can read 63.3000002 s.
    Start and end are each rounded once (half a unit each), the run's own clock adds less;
    two units bound it. A difference below that is the float grid, not a late kill."""
    return 2 * math.ulp(max(abs(t) for t in times))

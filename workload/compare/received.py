"""The workload as a real run's slurmctld received it, for judging the scheduler alone.

A real run differs from its scenario in two ways that are the host's, not Slurm's
scheduling: jobs reach slurmctld when the submitting side gets them there (on a loaded
host the first sbatch of a run took 4-9 s, so the jobs due meanwhile arrive together),
and each job holds its CPUs for its elapsed time (asked run time plus launch overhead).
``received`` rewrites the scenario's jobs with what Slurm recorded: the submit time
(from the run's first submit, in Slurm's whole seconds, job-id order kept within a
second) and, for jobs that ran, the elapsed time (end - start, at most the time
limit). The simulator run on these jobs meets the same queue Slurm met, so what still
differs is scheduling (or timing finer than Slurm's whole seconds).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from workload.checks.observed import Observed
from workload.event import SUBMIT, Event
from workload.spec import JobSpec

#: Spacing of jobs submitted within one second, in job-id order (far below a second).
TIE_STEP_S = 1e-4


def received_times(observed: Observed) -> dict[int, tuple[float, float | None]]:
    """seq -> (submit offset from the run's first submit, elapsed or None) as Slurm
    recorded them; the last attempt of a requeued job gives the elapsed time."""
    submits: dict[int, Event] = {}
    for event in observed.events:
        if event.kind == SUBMIT:
            submits.setdefault(event.seq, event)
    if not submits:
        return {}
    elapsed = {job.seq: job.end - job.start for job in observed.jobs if job.start is not None}
    first = min(e.time for e in submits.values())
    order = sorted(submits.values(), key=lambda e: (e.time, _id_rank(e.job_id), e.seq))
    out: dict[int, tuple[float, float | None]] = {}
    last_second, rank = None, 0
    for event in order:
        second = event.time - first
        rank = rank + 1 if second == last_second else 0
        last_second = second
        ran = elapsed.get(event.seq)
        out[event.seq] = (second + rank * TIE_STEP_S, None if ran is None else max(0.0, ran))
    return out


def received(specs: Iterable[JobSpec], times: dict[int, tuple[float, float | None]]
             ) -> Iterator[JobSpec]:
    """``specs`` with Slurm's submit and elapsed times, in the order Slurm got them;
    jobs the real run never submitted keep their own times."""
    def one(spec: JobSpec) -> JobSpec:
        if spec.seq not in times:
            return spec
        submit, elapsed = times[spec.seq]
        if elapsed is None:
            return spec.with_(submit_s=submit)
        limit = spec.time_limit_s
        runtime = min(elapsed, limit) if limit and limit > 0 else elapsed
        return spec.with_(submit_s=submit, runtime_s=runtime)

    yield from sorted((one(s) for s in specs), key=lambda s: (s.submit_s, s.seq))


def _id_rank(job_id: str) -> tuple[int, str]:
    """Slurm's job ids sort numerically (array tasks "12_3" by their job's id)."""
    head = job_id.split("_")[0].split("+")[0]
    return (int(head), job_id) if head.isdigit() else (1 << 62, job_id)

"""Priority order among comparable jobs: no job is overtaken by one that is no easier.

Jobs are *comparable* when they are in the same partition (and, with ``by="user"``, of
the same user: fair-share gives each user its own priority), pin the same node count
(or none) and the same GPU type (or none), and A asks for no more CPUs, no more memory
per CPU, no more GPUs and no more time than B. If A is before B in queue order (below),
then under FCFS and under EASY backfilling alike A must not start after B: whenever B
could start, A fits in the same place and ends no later, and both policies consider A
first. So a violation is a pair (A, B) with start(A) > start(B) + tolerance.

Jobs submitted in the same second (Slurm stamps whole seconds) are ordered by the
backend's job id when it is numeric: Slurm numbers jobs in the order the controller
received them, and that is its tie-break among equal priorities, while concurrent
submitters may deliver seq 15 after seq 16. Otherwise (the simulator) by seq.

With ``fcfs=True`` every earlier job counts, not only easier ones (strict FCFS, no
backfilling). Requeued jobs are left out (a requeue sends a job to the back), and so are,
as the job overtaken, jobs not eligible from their submit on (a dependency, an array
throttle: ``eligible_at_submit``).

"Before" is the queue order of the scheduler that made the schedule
(workload.checks.queue): submit order for textbook runs and priority/basic; Slurm's
multifactor priority (age taken out, then submit time, job id) when start events carry
priorities; with fair-share, only jobs of one user are compared. Real Slurm needs a
tolerance of a scheduling cycle.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from workload.checks.attempts import requeued_seqs
from workload.checks.observed import Observed
from workload.checks.result import CheckResult, Verdict, not_applicable
from workload.checks.queue import queue_order
from workload.run.schedule import JobRecord
from workload.spec import JobSpec

NAME = "priority_order"
_SLURM_ID = re.compile(r"^(\d+)(?:_(\d+))?$")     # 17, or 4_2 (array job 4, task 2)


def check_priority_order(obs: Observed, *, tolerance_s: float = 0.0, by: str = "partition",
                         fcfs: bool = False) -> CheckResult:
    if not obs.requests:
        return not_applicable(NAME, "requests unknown (sizes, limits)")
    if by not in ("partition", "user"):
        raise ValueError(f"by must be 'partition' or 'user', not {by!r}")
    queue = queue_order(obs)
    if isinstance(queue, str):
        return not_applicable(NAME, queue)
    requeued = requeued_seqs(obs.events)
    per_user = by == "user" or queue.per_user
    groups: dict[tuple, list[JobRecord]] = defaultdict(list)
    for job in obs.jobs:
        spec = obs.requests.get(job.seq)
        if job.start is None or spec is None or job.seq in requeued:
            continue
        group = (job.partition, job.user if per_user else "", spec.nodes, spec.gpu_type)
        groups[group].append(job)
    verdict = Verdict(NAME)
    for jobs in groups.values():
        jobs.sort(key=lambda j: (-queue.key.get(j.seq, 0.0), j.submit, arrival(j.job_id),
                                 j.seq))
        _group(jobs, obs.requests, tolerance_s, fcfs, verdict)
    return verdict.result(f"strict FCFS; {queue.note}" if fcfs else queue.note)


def arrival(job_id: str) -> tuple[int, ...]:
    """The order a controller received a job in, from a Slurm job id; () if not one."""
    found = _SLURM_ID.match(job_id or "")
    return tuple(int(g) for g in found.groups() if g is not None) if found else ()


def _shape(spec: JobSpec, fcfs: bool) -> tuple[int, float, int, int]:
    """What a job asks, to tell an easier job from a harder one: a heterogeneous job asks
    all its components' tasks and GPUs at once (its largest memory a CPU)."""
    if fcfs:
        return (0, 0.0, 0, 0)
    parts = spec.all_components()
    return (spec.total_procs, spec.time_limit_s,
            max(c.mem_per_cpu_mb or 0 for c in parts), sum(c.gpus for c in parts))


def _group(jobs: list[JobRecord], requests: dict[int, JobSpec], tol: float, fcfs: bool,
           verdict: Verdict) -> None:
    """Walk jobs in queue order keeping, per shape class, the latest start so far; a job
    is overtaken if some easier-or-equal class holds a later start."""
    shapes = sorted({_shape(requests[j.seq], fcfs) for j in jobs})
    index = {s: i for i, s in enumerate(shapes)}
    arr = np.array(shapes, dtype=float).reshape(len(shapes), 4)
    latest = np.full(len(shapes), -np.inf)
    latest_seq = np.zeros(len(shapes), dtype=np.int64)
    for job in jobs:
        b = index[_shape(requests[job.seq], fcfs)]
        verdict.count()
        # Classes with every field <= b's are easier: they must not start later.
        mask = (arr <= arr[b]).all(axis=1)
        candidates = np.where(mask, latest, -np.inf)
        a = int(np.argmax(candidates))
        assert job.start is not None   # only started jobs reach here
        if candidates[a] > job.start + tol:
            verdict.fail(seq=job.seq, job_id=job.job_id, submit=job.submit, start=job.start,
                         overtook=int(latest_seq[a]), overtaken_start=float(candidates[a]))
        if job.start > latest[b] and eligible_at_submit(requests[job.seq]):
            latest[b], latest_seq[b] = job.start, job.seq


def eligible_at_submit(spec: JobSpec) -> bool:
    """Whether a job could start from its submit on. One waiting for a parent, or an
    array task under its array's %N throttle, may rightly be passed by later jobs while
    it waits (Slurm: reason Dependency, JobArrayTaskLimit); when it became eligible is
    not in the record, so it is never counted as overtaken (it may still overtake)."""
    return not (spec.depends or spec.preceding is not None or spec.array_throttle)

"""Dependencies respected: a job never starts before the job it depends on ended.

A request's ``preceding`` names the predecessor by its source id (SWF field 17, or
``sbatch --dependency=afterany``). Predecessors outside the run (cut by a window) can
not be checked and are counted in the note.
"""

from __future__ import annotations

from workload.checks.observed import Observed
from workload.checks.result import CheckResult, Verdict, not_applicable

NAME = "dependencies"


def check_dependencies(obs: Observed, *, tolerance_s: float = 0.0) -> CheckResult:
    dependants = [s for s in obs.requests.values() if s.preceding is not None]
    if not dependants:
        return not_applicable(NAME, "no job has a dependency")
    seq_of = {s.source_id: s.seq for s in obs.requests.values() if s.source_id is not None}
    jobs = obs.by_seq
    verdict, outside = Verdict(NAME), 0
    for spec in dependants:
        pred_seq = seq_of.get(spec.preceding, -1) if spec.preceding is not None else -1
        job, pred = jobs.get(spec.seq), jobs.get(pred_seq)
        if pred is None:
            outside += 1
            continue
        if job is None or job.start is None:
            continue
        verdict.count()
        if job.start < pred.end - tolerance_s:
            verdict.fail(seq=job.seq, job_id=job.job_id, start=job.start,
                         depends_on=pred.seq, dependency_end=pred.end)
    note = f"{outside} predecessor(s) not in the run" if outside else ""
    return verdict.result(note)

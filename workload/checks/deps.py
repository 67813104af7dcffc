"""Dependencies respected: a job never starts before its dependencies allow it to.

A request names its parents by source id, in two ways: ``preceding`` (SWF field 17, an
``afterany``) and ``depends`` (``sbatch --dependency`` kinds, read from a sacct dump's
SubmitLine; ``singleton`` already resolved to the earlier jobs it waited for). The rules
are Slurm's (sbatch(1), --dependency):

- ``after``: the child starts no earlier than its parent started;
- every other kind: no earlier than its parent ended;
- ``afterok``: it runs only if its parent COMPLETED; ``afternotok``: only if it did not;
- joined by ``?`` (``JobSpec.depends_any``): any one parent meeting its rule suffices.

A child that never started is not checked (Slurm cancels or holds one whose dependency
can never be met). Parents outside the run (cut by a window, not replayed) cannot be
checked and are counted in the note.
"""

from __future__ import annotations

from collections.abc import Iterator

from workload.checks.observed import Observed
from workload.checks.result import CheckResult, Verdict, not_applicable
from workload.event import COMPLETED
from workload.run.schedule import JobRecord
from workload.spec import JobSpec

NAME = "dependencies"


def check_dependencies(obs: Observed, *, tolerance_s: float = 0.0) -> CheckResult:
    dependants = [s for s in obs.requests.values() if s.preceding is not None or s.depends]
    if not dependants:
        return not_applicable(NAME, "no job has a dependency")
    seq_of = {s.source_id: s.seq for s in obs.requests.values() if s.source_id is not None}
    jobs = obs.by_seq
    verdict, outside = Verdict(NAME), 0
    for spec in dependants:
        job = jobs.get(spec.seq)
        if spec.depends_any:
            outside += _check_any(spec, job, jobs, seq_of, verdict, tolerance_s)
            continue
        for kind, parent_id in _parents(spec):
            parent = jobs.get(seq_of.get(parent_id, -1))
            if parent is None:
                outside += 1
                continue
            if job is None or job.start is None:
                continue
            verdict.count()
            broken = _broken(kind, job, parent, tolerance_s)
            if broken:
                verdict.fail(seq=job.seq, job_id=job.job_id, start=job.start, kind=kind,
                             depends_on=parent.seq, dependency_end=parent.end,
                             dependency_state=parent.state, rule=broken)
    note = f"{outside} parent(s) not in the run" if outside else ""
    return verdict.result(note)


def _check_any(spec: JobSpec, job: JobRecord | None, jobs: dict[int, JobRecord],
               seq_of: dict[int, int], verdict: Verdict, tolerance_s: float) -> int:
    """Dependencies joined by ``?`` (sbatch: any one suffices): a child that started
    breaks the rule only when every parent in the run forbade it. The parents not in
    the run, counted for the note."""
    pairs = [(kind, jobs.get(seq_of.get(parent_id, -1))) for kind, parent_id in _parents(spec)]
    present = [(kind, parent) for kind, parent in pairs if parent is not None]
    if job is None or job.start is None or not present:
        return len(pairs) - len(present)
    verdict.count()
    broken = [(kind, parent, _broken(kind, job, parent, tolerance_s))
              for kind, parent in present]
    if all(rule for _, _, rule in broken):
        kind, parent, rule = broken[0]
        verdict.fail(seq=job.seq, job_id=job.job_id, start=job.start, kind=kind,
                     depends_on=parent.seq, dependency_end=parent.end,
                     dependency_state=parent.state,
                     rule=f"{rule}; no other parent of its any-of (?) dependency allowed it"
                     if len(broken) > 1 else rule)
    return len(pairs) - len(present)


def _parents(spec: JobSpec) -> Iterator[tuple[str, int]]:
    if spec.preceding is not None:
        yield "afterany", spec.preceding
    for kind, ids in spec.depends:
        for parent in ids:
            yield kind, parent


def _broken(kind: str, job: JobRecord, parent: JobRecord, tolerance_s: float) -> str:
    """The rule ``job`` broke against ``parent`` under ``kind``, or ""."""
    assert job.start is not None
    if kind == "after":
        if parent.start is not None and job.start < parent.start - tolerance_s:
            return "started before its parent started"
        return ""
    if job.start < parent.end - tolerance_s:
        return "started before its parent ended"
    if kind == "afterok" and parent.state != COMPLETED:
        return f"ran although its parent ended {parent.state}"
    if kind == "afternotok" and parent.state == COMPLETED:
        return "ran although its parent COMPLETED"
    return ""

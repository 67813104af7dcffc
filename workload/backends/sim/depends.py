"""Job dependencies in the simulator, as Slurm's ``--dependency`` (issue 16: sacct replays).

A job whose ``spec.depends`` names jobs that have not ended is held out of the queue
and released when they have. ``afterok`` needs COMPLETED, ``afternotok`` anything else,
``afterany``/``singleton`` any end; ``after`` (Slurm: once started) is held until the
job ends, the closest this module can tell. A dependency that can no longer be met
cancels the job, as Slurm does with ``kill_invalid_depend``, so a run never waits for
ever. Ids are the jobs' ``source_id``; ids never submitted in this run are ignored.
"""

from __future__ import annotations

from workload.backends.sim.job import SimJob
from workload.event import COMPLETED

NEVER = "DependencyNeverSatisfied"


class Holds:
    def __init__(self) -> None:
        self.submitted: set[int] = set()
        self.ended: dict[int, str] = {}
        self.held: dict[int, SimJob] = {}          # seq -> job

    def hold(self, job: SimJob) -> bool | None:
        """Note ``job`` as submitted. None: it waits (held here); True: it may run now;
        False: its dependency can never be met."""
        if job.spec.source_id is not None:
            self.submitted.add(job.spec.source_id)
        verdict = self.verdict(job)
        if verdict is None:
            self.held[job.seq] = job
        return verdict

    def drop(self, job: SimJob) -> bool:
        """Forget a held job (cancelled); False when it was not held."""
        return self.held.pop(job.seq, None) is not None

    def release(self, source_id: int | None, state: str) -> list[tuple[SimJob, bool]]:
        """A job ended: the held jobs now decided, each with True (run) or False (never)."""
        if source_id is None or not self.held:
            if source_id is not None:
                self.ended[source_id] = state
            return []
        self.ended[source_id] = state
        out = []
        for seq, job in list(self.held.items()):
            verdict = self.verdict(job)
            if verdict is not None:
                del self.held[seq]
                out.append((job, verdict))
        return out

    def verdict(self, job: SimJob) -> bool | None:
        """True: may run; False: never will; None: wait. Dependencies joined by ``?``
        (``depends_any``) need one parent that meets its kind, not all of them."""
        any_of = job.spec.depends_any
        waiting = unmet = False
        for kind, ids in job.spec.depends:
            for target in ids:
                if target not in self.submitted:
                    continue
                state = self.ended.get(target)
                if state is None:
                    waiting = True
                elif ((kind == "afterok" and state != COMPLETED)
                      or (kind == "afternotok" and state == COMPLETED)):
                    if not any_of:
                        return False
                    unmet = True
                elif any_of:
                    return True
        return None if waiting else not unmet

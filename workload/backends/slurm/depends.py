"""Dependencies on real Slurm: a job's ``spec.depends`` (source ids) as ``--dependency``.

A dependency names the source's job ids (a sacct replay's JobIDRaw); Slurm needs the ids
of the replayed jobs, which exist only once sbatch (or slurmrestd) has answered. The pool
submits in parallel, so a job whose parents are still waiting for a worker is held here,
never in a worker (a worker waiting for a parent queued behind it could stall the pool),
and goes to the pool once each parent has an id or was refused.

The same rules as the simulator's (``sim/depends.py``): a parent counts only if it was
submitted to the run before the dependent job (others are ignored), and a parent Slurm
refused (REJECTED: it never ran) is ignored too, as the simulator never holds a job on
a rejected one. The kinds go to Slurm as they are (``after``: once the parent started,
as Slurm means it), joined by ``,`` (all of them) or, for a job whose source joined them
by ``?`` (``JobSpec.depends_any``), by ``?`` (any one suffices), except:

- ``singleton`` becomes ``afterany`` on the earlier jobs of the same name and user that
  the source found (every replayed job has its own Slurm name, so Slurm's own singleton
  would wait for nothing);
- ``aftercorr`` and ``afterburstbuffer`` become ``afterany``, as the simulator reads them
  (an array's tasks are replayed as jobs, so there is no task to correspond with).

A parent that has already ended is judged here, not by Slurm: slurmctld forgets a job
MinJobAge (300 s) after its end and then refuses ``afterok``/``afternotok`` on it ("Job
dependency problem", 24.11), which a replay meets whenever a parent runs sooner than
at the source. Such a parent is left out of ``--dependency`` when its end meets the
kind, and when it cannot (``afterok`` on a failed job, ``afternotok`` on a completed
one) the job is ``doomed``: the backend ends it CANCELLED DependencyNeverSatisfied
without submitting it, as the simulator does. A job Slurm holds for a dependency that
can never be met pends with that reason; the watcher cancels it
(Slurm's ``kill_invalid_depend``).
"""

from __future__ import annotations

import threading

from workload.event import COMPLETED
from workload.spec import JobSpec

NEVER = "DependencyNeverSatisfied"   # squeue's reason for such a job (22.05 .. 26.05)
_AS_SLURM = {"after": "after", "afterok": "afterok", "afternotok": "afternotok",
             "afterany": "afterany", "singleton": "afterany", "aftercorr": "afterany",
             "afterburstbuffer": "afterany"}


class Parents:
    """Which jobs of the run have Slurm ids (or have ended), and the jobs held until their
    parents do.

    ``admit`` is called in submit order (the generator's thread), ``resolved`` by the
    pool's workers once a job has an id or was refused, ``ended`` as end events come
    (the watcher's thread); one lock covers them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[int, str | None] = {}        # source id -> Slurm id (None: not yet)
        self.refused: set[int] = set()
        self.states: dict[int, str] = {}            # source id -> its final state
        self.sources: dict[int, int] = {}           # seq -> source id (jobs that have one)
        self.held: dict[int, tuple[JobSpec, set[int]]] = {}   # seq -> (spec, parents due)
        self.children: dict[int, list[int]] = {}    # source id -> seqs of held jobs
        self.parents: dict[int, tuple[int, ...]] = {}   # seq -> parents it counts

    def admit(self, spec: JobSpec) -> bool:
        """Note ``spec`` as submitted; True when it may go now (see ``doomed``), False
        when it is held until its parents have ids (``resolved`` hands it back)."""
        with self.lock:
            if spec.source_id is not None:
                self.ids.setdefault(spec.source_id, None)
                self.sources[spec.seq] = spec.source_id
            if not spec.depends:
                return True
            counted = tuple(dict.fromkeys(t for _, ids in spec.depends for t in ids
                                          if t in self.ids and t != spec.source_id))
            self.parents[spec.seq] = counted
            due = {t for t in counted if self._due(t)}
            if not due:
                return True
            self.held[spec.seq] = (spec, due)
            for parent in due:
                self.children.setdefault(parent, []).append(spec.seq)
            return False

    def resolved(self, spec: JobSpec, job_id: str | None, state: str | None = None
                 ) -> list[JobSpec]:
        """``spec`` has Slurm id ``job_id``; or, without one, it ended in ``state`` before
        Slurm saw it (``doomed``), or was refused (no state: it never ran). The held
        jobs that no longer wait for any parent, in the order they were held."""
        if spec.source_id is None and not spec.depends:
            return []   # a storm's job: nothing to note (no lock taken per job)
        with self.lock:
            self.parents.pop(spec.seq, None)   # sent or decided: never rendered again
            if spec.source_id is None:
                return []
            if job_id is not None:
                self.ids[spec.source_id] = job_id
            elif state is not None:
                self.states[spec.source_id] = state
            else:
                self.refused.add(spec.source_id)
            ready = []
            for seq in self.children.pop(spec.source_id, ()):
                child, due = self.held[seq]
                due.discard(spec.source_id)
                if not due:
                    del self.held[seq]
                    ready.append(child)
            return ready

    def ended(self, seq: int, state: str) -> None:
        """Job ``seq`` ended in ``state`` (its end event): later children judge it here."""
        with self.lock:
            source = self.sources.get(seq)
            if source is not None:
                self.states[source] = state

    def doomed(self, spec: JobSpec) -> bool:
        """True when the parents' ends now rule the job out (never submit it)."""
        return self.render(spec)[1]

    def expression(self, spec: JobSpec) -> str | None:
        """The ``--dependency`` value of an admitted, not held job as the parents stand
        now ("" when no parent is left to wait for); None for a job without dependencies."""
        return self.render(spec)[0]

    def render(self, spec: JobSpec) -> tuple[str | None, bool]:
        """(``--dependency``, doomed) of an admitted, not held job, from its parents'
        Slurm ids and ends as they are now: asked again when sbatch runs, so a parent
        that ended while the job waited for a worker is judged here, never named to a
        Slurm that may have purged it (see the module docstring)."""
        if not spec.depends:
            return None, False
        with self.lock:
            return self._render(spec)

    def waiting(self) -> int:
        """Jobs held for their parents now."""
        with self.lock:
            return len(self.held)

    def held_seqs(self) -> list[int]:
        """The jobs held for their parents now (when the run stops: never submitted)."""
        with self.lock:
            return sorted(self.held)

    def _due(self, parent: int) -> bool:
        """``parent`` has neither an id nor an end yet (lock held)."""
        return (self.ids[parent] is None and parent not in self.refused
                and parent not in self.states)

    def _render(self, spec: JobSpec) -> tuple[str, bool]:
        """``render`` with the lock held: each kind with its parents' Slurm ids, a parent
        already ended judged by its end (met: left out; cannot be met: doomed)."""
        counted = set(self.parents[spec.seq])
        kinds: dict[str, list[str]] = {}
        met = unmet = 0
        for kind, targets in spec.depends:
            # An unknown kind goes as it is: the request refuses it (REJECTED, saying why).
            slurm = kinds.setdefault(_AS_SLURM.get(kind, kind), [])
            for target in targets:
                if target not in counted or target in self.refused:
                    continue
                state = self.states.get(target)
                if state is None:
                    job_id = self.ids[target]
                    if job_id is not None and job_id not in slurm:
                        slurm.append(job_id)
                elif _fails(kind, state):
                    unmet += 1
                else:
                    met += 1
        if not spec.depends_any:
            return ",".join(f"{kind}:{':'.join(ids)}" for kind, ids in kinds.items()
                            if ids), bool(unmet)
        # Slurm's "?": any one suffices, each parent its own part ("afterok:4:5" would
        # need both). One met already is enough (nothing to send); the job is doomed
        # only when every parent counted has ended unmet.
        if met:
            return "", False
        parts = [f"{kind}:{job_id}" for kind, ids in kinds.items() for job_id in ids]
        return "?".join(parts), bool(unmet) and not parts


def _fails(kind: str, state: str) -> bool:
    """True when a parent that ended in ``state`` can never meet ``kind``."""
    return ((kind == "afterok" and state != COMPLETED)
            or (kind == "afternotok" and state == COMPLETED))

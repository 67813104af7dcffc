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
as Slurm means it), except:

- ``singleton`` becomes ``afterany`` on the earlier jobs of the same name and user that
  the source found (every replayed job has its own Slurm name, so Slurm's own singleton
  would wait for nothing);
- ``aftercorr`` and ``afterburstbuffer`` become ``afterany``, as the simulator reads them
  (an array's tasks are replayed as jobs, so there is no task to correspond with).

A dependency that can never be met leaves the job pending with the reason
``DependencyNeverSatisfied``; the watcher cancels it (Slurm's ``kill_invalid_depend``).
"""

from __future__ import annotations

import threading

from workload.spec import JobSpec

NEVER = "DependencyNeverSatisfied"   # squeue's reason for such a job (22.05 .. 26.05)
_AS_SLURM = {"after": "after", "afterok": "afterok", "afternotok": "afternotok",
             "afterany": "afterany", "singleton": "afterany", "aftercorr": "afterany",
             "afterburstbuffer": "afterany"}


class Parents:
    """Which jobs of the run have Slurm ids yet, and the jobs held until theirs do.

    ``admit`` is called in submit order (the generator's thread), ``resolved`` by the
    pool's workers once a job has an id or was refused; one lock covers both."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[int, str | None] = {}        # source id -> Slurm id (None: not yet)
        self.refused: set[int] = set()
        self.held: dict[int, tuple[JobSpec, set[int]]] = {}   # seq -> (spec, parents due)
        self.children: dict[int, list[int]] = {}    # source id -> seqs of held jobs
        self.parents: dict[int, tuple[int, ...]] = {}   # seq -> parents it counts
        self.expressions: dict[int, str] = {}       # seq -> --dependency ("" for none)

    def admit(self, spec: JobSpec) -> bool:
        """Note ``spec`` as submitted; True when it may go to the pool now, False when it
        is held until its parents have ids (``resolved`` hands it back)."""
        with self.lock:
            if spec.source_id is not None:
                self.ids.setdefault(spec.source_id, None)
            if not spec.depends:
                return True
            counted = tuple(dict.fromkeys(t for _, ids in spec.depends for t in ids
                                          if t in self.ids and t != spec.source_id))
            self.parents[spec.seq] = counted
            due = {t for t in counted if self.ids[t] is None and t not in self.refused}
            if not due:
                self.expressions[spec.seq] = self._expression(spec)
                return True
            self.held[spec.seq] = (spec, due)
            for parent in due:
                self.children.setdefault(parent, []).append(spec.seq)
            return False

    def resolved(self, spec: JobSpec, job_id: str | None) -> list[JobSpec]:
        """``spec`` has Slurm id ``job_id`` (None: refused, it never ran): the held jobs
        that no longer wait for any parent, in the order they were held."""
        if spec.source_id is None:
            return []
        with self.lock:
            if job_id is None:
                self.refused.add(spec.source_id)
            else:
                self.ids[spec.source_id] = job_id
            ready = []
            for seq in self.children.pop(spec.source_id, ()):
                child, due = self.held[seq]
                due.discard(spec.source_id)
                if not due:
                    del self.held[seq]
                    self.expressions[seq] = self._expression(child)
                    ready.append(child)
            return ready

    def expression(self, spec: JobSpec) -> str | None:
        """The ``--dependency`` value of an admitted, not held job ("" when every parent
        was ignored); None for a job without dependencies."""
        if not spec.depends:
            return None
        with self.lock:
            return self.expressions[spec.seq]

    def waiting(self) -> int:
        """Jobs held for their parents now."""
        with self.lock:
            return len(self.held)

    def _expression(self, spec: JobSpec) -> str:
        """``afterok:12:13_4,afterany:9``: each kind with its parents' Slurm ids (lock held)."""
        counted = set(self.parents[spec.seq])
        kinds: dict[str, list[str]] = {}
        for kind, targets in spec.depends:
            ids = [self.ids[t] for t in targets if t in counted and t not in self.refused]
            # An unknown kind goes as it is: the request refuses it (REJECTED, saying why).
            slurm = kinds.setdefault(_AS_SLURM.get(kind, kind), [])
            slurm += [i for i in ids if i is not None and i not in slurm]
        return ",".join(f"{kind}:{':'.join(ids)}" for kind, ids in kinds.items() if ids)

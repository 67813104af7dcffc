"""Dependencies from SubmitLine, mapped to the jobs the replay submits.

A dependency names Slurm job ids; the replay's jobs are known by ``source_id`` (JobIDRaw).
An array's job id stands for all its tasks; ``singleton`` stands for the earlier jobs
of the same name and user still unfinished at the source when this one was submitted.
A dependency on a job that is not replayed (outside the dump, or skipped) is dropped and
counted in the source's notes, never silently.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from workload.sources.sacct import submitline
from workload.sources.sacct.build import submit_time
from workload.sources.sacct.record import SacctRecord

Depends = tuple[tuple[str, tuple[int, ...]], ...]


class Dependencies:
    """``of(record)``: its dependencies as (kind, source ids) of replayed jobs.

    ``usable`` must be in submit order (singleton looks back along it).
    """

    def __init__(self, usable: list[SacctRecord], everything: list[SacctRecord],
                 notes: Counter[str]) -> None:
        self.notes = notes
        self.replayed = {r.raw_id for r in usable if r.raw_id is not None}
        self.array_tasks: dict[int, list[int]] = defaultdict(list)
        for record in usable:
            if record.array_job is not None and record.raw_id is not None:
                self.array_tasks[record.array_job].append(record.raw_id)
        # singleton: the earlier jobs of the same name and user, found only for the jobs
        # that ask (a tuple per job would grow with the square of a name's count).
        self.same: dict[tuple[str, str], list[SacctRecord]] = defaultdict(list)
        self.position: dict[int, int] = {}             # by line: raw ids may be absent
        for record in usable:
            key = (record.user, record.name)
            self.position[record.line] = len(self.same[key])
            self.same[key].append(record)
        self.known = {r.raw_id for r in everything} | {r.id.job for r in everything}

    def of(self, record: SacctRecord) -> tuple[Depends, bool]:
        """The dependencies, and whether any one of them suffices (joined by ``?``)."""
        if record.submit_line is None:
            self.notes["no SubmitLine: dependencies and --begin unknown"] += 1
            return (), False
        try:
            parts, any_of = submitline.dependencies(record.submit_line)
        except ValueError as err:
            self.notes[f"SubmitLine --dependency unread: {err}"] += 1
            return (), False
        out = []
        for kind, ids in parts:
            targets = self._earlier(record) if kind == "singleton" else self._targets(ids)
            if targets or kind == "singleton":
                out.append((kind, tuple(targets)))
        return tuple(out), any_of and bool(out)

    def _earlier(self, record: SacctRecord) -> list[int]:
        """The earlier jobs of the same name and user still unfinished when ``record``
        was submitted at the source: those it waited for."""
        key = (record.user, record.name)
        submitted = submit_time(record)
        return [r.raw_id for r in self.same[key][:self.position[record.line]]
                if r.raw_id is not None and (r.end is None or r.end > submitted)]

    def _targets(self, ids: tuple[int, ...]) -> list[int]:
        out: list[int] = []
        for job in ids:
            if job in self.array_tasks:
                out += self.array_tasks[job]
            elif job in self.replayed:
                out.append(job)
            elif job in self.known:
                self.notes["dependency on a job of the dump that is not replayed: dropped"] += 1
            else:
                self.notes["dependency on a job outside the dump: dropped"] += 1
        return out

"""A sacct dump as a workload: every row either becomes a job or is counted as skipped.

Unlike an SWF trace a dump is read whole before the first job is yielded: rows come in
job-id order, not submit order, and a dependency may name a job further down. A site's
accounting export is thousands to a few million rows, which fits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from pathlib import Path

from workload.errors import InputError
from workload.sources.base import Source
from workload.sources.sacct import het, pipe
from workload.sources.sacct import json as sacct_json
from workload.sources.sacct.build import submit_time, to_spec, unusable
from workload.sources.sacct.depends import Dependencies
from workload.sources.sacct.record import SacctRecord
from workload.sources.sacct.sniff import read_text
from workload.spec import JobSpec
from workload.swf import Header

STEP_REASON = "job step (steps are not jobs)"
T = TypeVar("T")


class SacctSource(Source):
    """Replay a ``sacct -P``/``-p`` or ``sacct --json`` dump; time starts at its first job.

    ``rows`` is every row (JSON: every element of "jobs") once the dump is read;
    ``submitted + skipped == rows`` when the run is over. ``notes`` counts what was
    approximated without dropping a row (a dependency on a job outside the dump...).
    """

    name = "sacct"

    def __init__(self, path: str | Path, *, kind: str, strict: bool = True,
                 use_memory: bool = False) -> None:
        super().__init__()
        if kind not in ("sacct", "sacct-json"):
            raise ValueError(f"kind {kind!r}")
        self.path, self.kind, self.strict, self.use_memory = str(path), kind, strict, use_memory
        self.notes: Counter[str] = Counter()
        self.rows = 0
        self.steps = 0
        self._further: dict[int, list[SacctRecord]] = {}
        self.records = self._read()
        self._read_skips = Counter(self.skipped)    # steps, malformed rows: once per read
        self.header = Header([("MaxJobs", str(len(self.usable()))),
                              ("Note", f"jobs from {kind} dump {self.path}")])

    def _read(self) -> list[SacctRecord]:
        text = read_text(self.path)
        if self.kind == "sacct-json":
            return self._from_json(text)
        return self._from_pipe(text)

    def _from_pipe(self, text: str) -> list[SacctRecord]:
        out = []
        names, body = pipe.split(text, self.path)
        for line, parts in body:
            self.rows += 1
            row = self._guard(pipe.row, parts, names, self.path, line)
            if row is None:
                continue
            ident = self._guard(pipe.row_id, row, self.path)
            if ident is None:
                continue
            if ident.is_step:                  # counted, not parsed further
                self.steps += 1
                self.skipped[STEP_REASON] += 1
                continue
            record = self._guard(pipe.record, row, self.path)
            if record is not None:
                out.append(record)
        return out

    def _guard(self, make: Callable[..., T], *args: Any) -> T | None:
        """``make(*args)``, or None (counted) when it breaks a rule and we are lenient."""
        try:
            return make(*args)
        except InputError as err:
            if self.strict:
                raise
            self.skipped[_why(err)] += 1
            return None

    def _from_json(self, text: str) -> list[SacctRecord]:
        out = []
        for index, job in enumerate(sacct_json.jobs(text, self.path), start=1):
            self.rows += 1
            self.steps += sacct_json.steps(job)
            record = self._guard(sacct_json.record, job, index, self.path)
            if record is not None:
                out.append(record)
        if self.steps:
            self.notes["job steps inside jobs (not rows, not replayed)"] = self.steps
        return out

    def usable(self) -> list[SacctRecord]:
        """Records that become jobs, in submit order; the others are counted in skipped
        (a heterogeneous job's rows as het.py says)."""
        self.skipped.clear()     # in place: wrappers share this Counter
        self.skipped.update(self._read_skips)
        self._further = het.further(self.records)
        firsts = het.firsts(self.records)
        keep = []
        for record in self.records:
            if record.id.het_offset:        # counted with its first component
                if record.id.job not in firsts:
                    self.skipped[het.NO_FIRST] += 1
                continue
            rest = self._further.get(record.id.job, []) if record.id.het_offset == 0 else []
            reason = unusable(record) or het.unusable(rest)
            if reason:
                self.skipped[reason] += 1 + len(rest)
            else:
                keep.append(record)
                if rest:
                    self.skipped[het.HET_COMPONENT] += len(rest)
        keep.sort(key=lambda r: (submit_time(r), r.line))
        return keep

    def __iter__(self) -> Iterator[JobSpec]:
        records = self.usable()
        if not records:
            return
        deps = Dependencies(records, self.records, self.notes)
        t0 = submit_time(records[0])
        for seq, record in enumerate(records):
            spec = to_spec(record, seq, t0, self.notes, use_memory=self.use_memory)
            rest = self._further.get(record.id.job) if record.id.het_offset == 0 else None
            parts = het.components(rest, record, use_memory=self.use_memory) if rest else ()
            depends, any_of = deps.of(record)
            yield spec.with_(depends=depends, depends_any=any_of, components=parts)

    def replica(self) -> "SacctSource":
        """The same jobs again (for a first pass over users), without re-reading."""
        again = object.__new__(SacctSource)
        Source.__init__(again)
        for name in ("path", "kind", "strict", "use_memory", "rows", "steps", "records",
                     "_read_skips", "header", "_further"):
            setattr(again, name, getattr(self, name))
        again.notes = Counter()
        return again

    def user_names(self) -> list[str]:
        return sorted({r.user for r in self.usable()})

    def describe(self) -> dict[str, object]:
        return {"source": self.name, "file": self.path, "format": self.kind,
                "strict": self.strict, "rows": self.rows, "steps": self.steps,
                "notes": dict(self.notes), "max_procs": self.max_procs}


def _why(err: InputError) -> str:
    return f"malformed {err.field}" if err.field else "malformed row"

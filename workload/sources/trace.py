"""An SWF trace as a workload: records become JobSpecs, unusable ones are counted."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workload.errors import InputError
from workload.sources.base import Source
from workload.spec import JobSpec
from workload.swf import SwfReader, SwfRecord


@dataclass(frozen=True)
class Window:
    """Which part of a trace to use: by job count (offset, limit) and by trace time."""

    offset: int = 0
    limit: int | None = None
    start_s: float | None = None   # --from: trace submit time, inclusive
    end_s: float | None = None     # --to: trace submit time, exclusive

    def __post_init__(self) -> None:
        if self.offset < 0 or (self.limit is not None and self.limit < 0):
            raise InputError("offset and limit must be >= 0")
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise InputError(f"--to ({self.end_s:g}) must be after --from ({self.start_s:g})")

    def in_time(self, submit: float) -> bool:
        return (self.start_s is None or submit >= self.start_s) and (
            self.end_s is None or submit < self.end_s)


def unusable_reason(record: SwfRecord) -> str | None:
    """Why a legal record can't be replayed, or None if it can."""
    if record.run < 0:
        return "run time -1 (n/a)"
    if record.procs <= 0:
        return "processors -1 (n/a)"
    return None


def record_to_spec(record: SwfRecord, seq: int, t0: float, *, use_memory: bool) -> JobSpec:
    """One usable record as a job spec; submit times become offsets from ``t0``.

    A record without a requested time gets its run time as the limit (a perfect
    estimate), since Slurm needs a limit and the trace does not state one.
    """
    limit = record.req_time if record.req_time > 0 else max(record.run, 1.0)
    mem = math.ceil(record.req_mem / 1024) if use_memory and record.req_mem > 0 else None
    return JobSpec(
        seq=seq, submit_s=float(record.submit - t0), procs=record.procs,
        runtime_s=float(record.run), time_limit_s=float(limit), mem_per_cpu_mb=mem,
        user=f"u{max(record.user, 0)}", group=f"g{max(record.group, 0)}",
        source_id=record.job,
        executable=record.executable if record.executable >= 0 else None,
        preceding=record.preceding if record.preceding > 0 else None,
        think_s=max(float(record.think), 0.0),
    )


class TraceSource(Source):
    """Replay an SWF file. Time starts at the first job in the window."""

    name = "trace"

    def __init__(self, path: str | Path, *, strict: bool = True, window: Window = Window(),
                 use_memory: bool = False) -> None:
        super().__init__()
        self.path, self.strict, self.window, self.use_memory = str(path), strict, window, use_memory
        self._reader = SwfReader(path, strict=strict)
        self.header = self._reader.header
        self.max_procs = self.header.max_procs

    def __iter__(self) -> Iterator[JobSpec]:
        reader, window = self._reader, self.window
        taken = usable = 0
        t0: float | None = None
        for record in reader:
            if not window.in_time(record.submit):
                self.skipped["outside --from/--to"] += 1
                continue
            reason = unusable_reason(record)
            if reason:
                self.skipped[reason] += 1
                continue
            usable += 1
            if usable <= window.offset:
                continue
            if window.limit is not None and taken >= window.limit:
                break
            t0 = record.submit if t0 is None else t0
            yield record_to_spec(record, taken, t0, use_memory=self.use_memory)
            taken += 1
        self.skipped.update(reader.skipped)

    def describe(self) -> dict[str, object]:
        w = self.window
        return {"source": self.name, "trace": self.path, "strict": self.strict,
                "max_procs": self.max_procs, "offset": w.offset, "limit": w.limit,
                "from": w.start_s, "to": w.end_s}

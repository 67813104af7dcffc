"""An SWF trace as a workload: records become JobSpecs, unusable ones are counted."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workload.errors import InputError
from workload.sources.base import Source
from workload.sources.spool import Spool, shown
from workload.spec import JobSpec
from workload.swf import Header, SwfReader, SwfRecord
from workload.swf.record import BadField

log = logging.getLogger(__name__)

# A header stating more processors than this is not a system anyone simulates.
MAX_TRACE_PROCS = 10**9
BEFORE_OFFSET = "before --offset"
OUT_OF_ORDER = "submit time before the previous job's"


@dataclass(frozen=True)
class Window:
    """Which part of a trace to use: by job count (offset, limit) and by trace time."""

    offset: int = 0
    limit: int | None = None
    start_s: float | None = None   # --from: trace submit time, inclusive
    end_s: float | None = None     # --to: trace submit time, exclusive

    def __post_init__(self) -> None:
        """InputError with ``field`` the parameter's name (as scenario files spell it)."""
        if self.offset < 0:
            raise InputError("must be >= 0", field="offset", value=self.offset)
        if self.limit is not None and self.limit < 0:
            raise InputError("must be >= 0", field="jobs", value=self.limit)
        for name, value in (("from_s", self.start_s), ("to_s", self.end_s)):
            if value is not None and not math.isfinite(value):
                raise InputError("must be a finite number", field=name, value=value)
        if self.start_s is not None and self.end_s is not None and self.end_s <= self.start_s:
            raise InputError(f"must be after the start ({self.start_s:g})", field="to_s",
                             value=self.end_s)

    def in_time(self, submit: float) -> bool:
        return (self.start_s is None or submit >= self.start_s) and (
            self.end_s is None or submit < self.end_s)


def unusable_reason(record: SwfRecord) -> str | None:
    """Why a legal record can't be replayed, or None if it can."""
    if record.run < 0:
        return "run time -1 (n/a)"
    if record.procs == 0:
        return "0 processors"
    if record.procs < 0:
        return "processors -1 (n/a)"
    return None


def header_procs(header: Header, file: str) -> int | None:
    """The system size the header states (MaxProcs, else MaxNodes), checked."""
    for key in ("MaxProcs", "MaxNodes"):
        text = (header.get(key) or "").split()
        if not text:
            continue
        try:
            value = float(text[0])
        except ValueError:
            raise InputError("not a number", file=file, field=key, value=text[0]) from None
        if not math.isfinite(value) or not value.is_integer():
            raise InputError("must be a whole number", file=file, field=key, value=text[0])
        if not 1 <= value <= MAX_TRACE_PROCS:
            raise InputError(f"must be between 1 and {MAX_TRACE_PROCS:,}", file=file,
                             field=key, value=text[0])
        return int(value)
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
    warn_past_end = True
    names_partitions = False   # record_to_spec leaves every job's partition unset

    def __init__(self, path: str | Path, *, strict: bool = True, window: Window = Window(),
                 use_memory: bool = False) -> None:
        super().__init__()
        self.path, self.strict, self.window = shown(str(path)), strict, window
        self.use_memory = use_memory
        # A pipe can be read once: it is copied to a file the users pass can read again.
        self._spool = Spool(str(path))
        self._reader = SwfReader(self._spool.path, strict=strict, name=self.path)
        # One counter: lines the reader skips count at once, so a run stopped mid-trace
        # (Ctrl-C, an input error) still reports every line it skipped.
        self._reader.skipped = self.skipped
        self.header = self._reader.header
        self.max_procs = header_procs(self.header, self.path)

    def __iter__(self) -> Iterator[JobSpec]:
        reader, window = self._reader, self.window
        taken = usable = 0
        t0: float | None = None
        for record in self._in_order(reader):
            if not window.in_time(record.submit):
                self.skipped["outside --from/--to"] += 1
                continue
            reason = unusable_reason(record)
            if reason:
                self.skipped[reason] += 1
                continue
            usable += 1
            if usable <= window.offset:
                self.skipped[BEFORE_OFFSET] += 1
                continue
            if window.limit is not None and taken >= window.limit:
                break
            t0 = record.submit if t0 is None else t0
            yield record_to_spec(record, taken, t0, use_memory=self.use_memory)
            taken += 1
        if window.offset and usable <= window.offset and self.warn_past_end:
            log.warning("%s: --offset %d is past the end of the trace (%d usable jobs): "
                        "nothing to replay", self.path, window.offset, usable)

    def _in_order(self, reader: SwfReader) -> Iterator[SwfRecord]:
        """Records in submit order: an earlier submit than the last is refused (strict)
        or skipped and counted (lenient), never silently moved to time zero."""
        last = -math.inf
        for record in reader:
            if record.submit < last:
                reader.refuse(BadField("submit", f"{record.submit:g}",
                                       f"before the previous job's ({last:g}): SWF records "
                                       "are in submit order"), reason=OUT_OF_ORDER)
                continue
            last = record.submit
            yield record

    def replica(self) -> "TraceSource":
        """The same jobs from a second reader of the same input (a pipe's copy, never the
        pipe itself, which the first reader is reading)."""
        again = TraceSource(self._spool.path, strict=self.strict, window=self.window,
                            use_memory=self.use_memory)
        again._spool = self._spool      # keep the copy alive while either reads it
        again.warn_past_end = False     # the replay's own pass says it once
        return again

    def describe(self) -> dict[str, object]:
        w = self.window
        return {"source": self.name, "trace": self.path, "strict": self.strict,
                "max_procs": self.max_procs, "offset": w.offset, "limit": w.limit,
                "from": w.start_s, "to": w.end_s}

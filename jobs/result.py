"""The one JSON line rank 0 prints: what the whole job achieved."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TextIO, cast

from jobs.comm import Comm
from jobs.loop import Tally


@dataclass(frozen=True)
class RankReport:
    """One rank's figures, gathered on rank 0."""

    runtime_s: float
    cpu_s: float
    tally: Tally
    wait_s: float = 0.0  # runnable but waiting for a core (others' load)


def summarize(comm: Comm, kernel: str, target_s: float, mine: RankReport,
              *, terminated: bool, exit_code: int) -> dict[str, object] | None:
    """Gather every rank's report; rank 0 gets the job's record, the others None."""
    # every rank sends its RankReport, so rank 0 gathers exactly those
    reports = cast("list[RankReport] | None", comm.gather(mine))
    if reports is None:
        return None
    ranks = len(reports)
    runtime = max(r.runtime_s for r in reports)
    cpu = sum(r.cpu_s for r in reports)
    extra: dict[str, int] = {}
    for report in reports:
        for key, value in report.tally.extra.items():
            extra[key] = extra.get(key, 0) + value
    return {
        "kernel": kernel, "ranks": ranks,
        "target_s": target_s if math.isfinite(target_s) else None,
        "runtime_s": round(runtime, 6), "cpu_s": round(cpu, 6),
        "duty": round(cpu / (runtime * ranks), 6) if runtime > 0 else 0.0,
        "bytes_sent": sum(r.tally.bytes_sent for r in reports),
        "iterations": mine.tally.iterations,  # rank 0's rounds (all ranks' in lock-step)
        "runq_wait_s": round(sum(r.wait_s for r in reports), 6),
        "terminated": terminated, "exit_code": exit_code, **extra,
    }


def emit(record: dict[str, object], out: TextIO) -> None:
    """Write the record as one line, flushed at once: a SIGKILL may follow soon."""
    out.write(json.dumps(record, separators=(",", ":")) + "\n")
    out.flush()

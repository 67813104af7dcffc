"""Workload statistics of an SWF trace, for `wlgen inspect`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from workload.sources.trace import header_procs, unusable_reason
from workload.swf import SwfReader


def _quantiles(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {}
    q = np.percentile(values, [0, 25, 50, 75, 95, 100])
    return dict(zip(("min", "p25", "median", "p75", "p95", "max"), map(float, q)))


def inspect_trace(path: Path, *, strict: bool = True) -> dict[str, object]:
    reader = SwfReader(path, strict=strict)
    size = header_procs(reader.header, str(path))   # checked: no negative or infinite load
    submit, procs, run, users = [], [], [], set()
    unusable: dict[str, int] = {}
    for r in reader:
        reason = unusable_reason(r)
        if reason:
            unusable[reason] = unusable.get(reason, 0) + 1
            continue
        submit.append(r.submit)
        procs.append(r.procs)
        run.append(r.run)
        users.add(r.user)
    s, p, t = np.array(submit, float), np.array(procs, float), np.array(run, float)
    span = float(s.max() - s.min()) if len(s) else 0.0
    return {
        "file": str(path),
        "header": reader.header.entries,
        "jobs": len(s),
        "unusable": unusable,
        "malformed": dict(reader.skipped),
        "users": len(users),
        "span_s": span,
        "max_procs": size,
        "load": float((p * t).sum() / (size * span)) if size and span else None,
        "serial_fraction": float((p == 1).mean()) if len(p) else None,
        "pow2_fraction": (float(np.mean([int(x) & (int(x) - 1) == 0 for x in p]))
                          if len(p) else None),
        "size": _quantiles(p),
        "runtime_s": _quantiles(t),
        "interarrival_s": _quantiles(np.diff(np.sort(s))) if len(s) > 1 else {},
    }

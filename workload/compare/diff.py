"""Compare runs of the same workload: metrics side by side, and job by job (by seq)
against the first run: start-time differences, which jobs moved most, and agreement
(mean wait difference, rank correlation of start order) as for simulator vs real Slurm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from workload.compare.rank import kendall_tau_b, spearman
from workload.compare.runs import RunView

METRIC_ROWS = ("submitted", "completed", "failed", "timeout", "cancelled", "node_fail",
               "unaccounted", "makespan_s", "wait_mean_s", "wait_median_s", "wait_p95_s",
               "bsld_mean", "utilization", "throughput_jobs_per_s")


@dataclass
class Moved:
    seq: int
    start_base: float
    start_other: float

    @property
    def delta(self) -> float:
        return self.start_other - self.start_base


@dataclass
class Agreement:
    """One run against the baseline, over the jobs that started in both."""

    name: str
    matched: int
    only_base: int
    only_other: int
    wait_mean_diff_s: float | None      # other - base
    start_delta_mean_s: float | None
    start_delta_abs_mean_s: float | None
    spearman: float | None
    kendall: float | None
    kendall_n: int
    moved: list[Moved] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        data = {k: v for k, v in vars(self).items() if k != "moved"}
        data["moved_most"] = [{"seq": m.seq, "start_base": m.start_base,
                               "start_other": m.start_other, "delta_s": m.delta}
                              for m in self.moved]
        return data


@dataclass
class Comparison:
    names: list[str]
    metrics: dict[str, list[object]]     # metric -> value per run
    agreements: list[Agreement]           # runs[1:] against runs[0]

    def to_dict(self) -> dict[str, object]:
        return {"runs": self.names, "metrics": self.metrics, "baseline": self.names[0],
                "against_baseline": [a.to_dict() for a in self.agreements]}


def compare_runs(runs: Sequence[RunView], *, top: int = 10) -> Comparison:
    names = [r.name for r in runs]
    keys = [k for k in METRIC_ROWS if any(k in r.metrics for r in runs)]
    metrics = {k: [r.metrics.get(k) for r in runs] for k in keys}
    return Comparison(names, metrics, [agreement(runs[0], r, top=top) for r in runs[1:]])


def agreement(base: RunView, other: RunView, *, top: int = 10) -> Agreement:
    started_base = {s: j.start for s, j in base.jobs.items() if j.start is not None}
    started_other = {s: j.start for s, j in other.jobs.items() if j.start is not None}
    seqs = sorted(started_base.keys() & started_other.keys())
    a = np.array([started_base[s] for s in seqs], dtype=float)
    b = np.array([started_other[s] for s in seqs], dtype=float)
    wa = np.array([started_base[s] - base.jobs[s].submit for s in seqs], dtype=float)
    wb = np.array([started_other[s] - other.jobs[s].submit for s in seqs], dtype=float)
    delta = b - a
    tau, used = kendall_tau_b(a, b)
    order = np.argsort(-np.abs(delta), kind="stable")[:top]
    return Agreement(
        other.name, len(seqs), len(started_base.keys() - started_other.keys()),
        len(started_other.keys() - started_base.keys()),
        float(wb.mean() - wa.mean()) if seqs else None,
        float(delta.mean()) if seqs else None,
        float(np.abs(delta).mean()) if seqs else None,
        spearman(a, b), tau, used,
        [Moved(seqs[i], float(a[i]), float(b[i])) for i in order])

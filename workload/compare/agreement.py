"""How closely one schedule reproduces another: the statistics of ``wlgen validate``.

Real Slurm is the reference, the simulator the candidate; jobs are matched by seq and
times are offsets from each run's own epoch (``RunView``), so runs made minutes apart
line up job by job. Per real run: start-order Kendall tau-b and Spearman, mean / median
/ p95 wait of each side with the simulator's relative error, and the distribution of
per-job start shifts (simulator minus Slurm, each measured from its run's first submit).
Over the runs: the same figures averaged, whether the simulator's mean wait lies inside
Slurm's run-to-run range, and the real-vs-real agreement that says how much of the gap
is Slurm's own noise.

Launch overhead is what a job costs the host beyond its asked run time: Slurm's elapsed
(end - start, whole seconds) minus the payload's run time, per completed job. The
simulator does not model it, so it is reported next to every verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from workload.compare.rank import kendall_tau_b, spearman
from workload.compare.runs import RunView
from workload.event import COMPLETED

SHIFT_QUANTILES = (5, 25, 50, 75, 95)


@dataclass(frozen=True)
class Spread:
    """Summary of a sample: count, mean, median, p95, min, max (None when empty)."""

    n: int
    mean: float | None
    median: float | None
    p95: float | None
    min: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> "Spread":
        arr = np.asarray(values, dtype=float)
        if not arr.size:
            return cls(0, None, None, None, None, None)
        return cls(int(arr.size), float(arr.mean()), float(np.percentile(arr, 50)),
                   float(np.percentile(arr, 95)), float(arr.min()), float(arr.max()))


@dataclass(frozen=True)
class Shift:
    """Per-job start shift, simulator minus Slurm (s): negative = the simulator is early."""

    n: int
    mean: float | None
    mean_abs: float | None
    quantiles: dict[str, float | None]      # "p5" ... "p95"
    min: float | None
    max: float | None
    within_1s: float | None                 # share of jobs within one second

    @classmethod
    def of(cls, deltas: Sequence[float] | np.ndarray) -> "Shift":
        arr = np.asarray(deltas, dtype=float)
        if not arr.size:
            return cls(0, None, None, {f"p{q}": None for q in SHIFT_QUANTILES}, None, None,
                       None)
        quantiles: dict[str, float | None] = {f"p{q}": float(np.percentile(arr, q))
                                              for q in SHIFT_QUANTILES}
        return cls(int(arr.size), float(arr.mean()), float(np.abs(arr).mean()), quantiles,
                   float(arr.min()), float(arr.max()), float(np.mean(np.abs(arr) <= 1.0)))


@dataclass(frozen=True)
class PairAgreement:
    """The candidate against one reference run, over the jobs that started in both."""

    reference: str
    candidate: str
    matched: int
    first_submit_reference_s: float    # from the run's epoch: the client's start-up
    first_submit_candidate_s: float
    only_reference: int
    only_candidate: int
    kendall_tau_b: float | None
    spearman: float | None
    wait_reference: Spread
    wait_candidate: Spread
    wait_rel_error: dict[str, float | None]  # "mean" / "median" / "p95": (cand - ref) / ref
    shift: Shift

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def rel_error(candidate: float | None, reference: float | None) -> float | None:
    """(candidate - reference) / reference; 0 when both are 0, None when undefined."""
    if candidate is None or reference is None:
        return None
    if reference == 0:
        return 0.0 if candidate == 0 else None
    return (candidate - reference) / abs(reference)


def first_submit(view: RunView) -> float:
    """The run's first submit, from its epoch (s); 0 for a run without jobs."""
    return min((j.submit for j in view.jobs.values()), default=0.0)


def waits(view: RunView, seqs: Sequence[int] | None = None) -> np.ndarray:
    """Start - submit of the started jobs (of ``seqs`` if given), in seq order."""
    chosen = sorted(seqs) if seqs is not None else sorted(view.jobs)
    jobs = [view.jobs[s] for s in chosen]
    return np.array([j.start - j.submit for j in jobs if j.start is not None], dtype=float)


def pair(reference: RunView, candidate: RunView) -> PairAgreement:
    """Start order, waits and start shifts of ``candidate`` against ``reference``."""
    ref_started = {s for s, j in reference.jobs.items() if j.start is not None}
    cand_started = {s for s, j in candidate.jobs.items() if j.start is not None}
    seqs = sorted(ref_started & cand_started)
    # Shifts are measured from each run's first submit: the time a real run takes to
    # make its first sbatch call is the client's, not the scheduler's.
    a = np.array([reference.jobs[s].start for s in seqs], dtype=float) - first_submit(reference)
    b = np.array([candidate.jobs[s].start for s in seqs], dtype=float) - first_submit(candidate)
    tau, _ = kendall_tau_b(a, b)
    w_ref, w_cand = Spread.of(waits(reference, seqs)), Spread.of(waits(candidate, seqs))
    errors = {k: rel_error(getattr(w_cand, k), getattr(w_ref, k))
              for k in ("mean", "median", "p95")}
    return PairAgreement(reference.name, candidate.name, len(seqs), first_submit(reference),
                         first_submit(candidate),
                         len(ref_started - cand_started), len(cand_started - ref_started),
                         tau, spearman(a, b), w_ref, w_cand, errors, Shift.of(b - a))


def launch_overheads(view: RunView, runtimes: Mapping[int, float]) -> dict[int, float]:
    """seq -> elapsed - asked run time, for the completed jobs whose request is known."""
    return {s: (j.end - j.start) - runtimes[s] for s, j in view.jobs.items()
            if j.start is not None and j.state == COMPLETED and s in runtimes}


def median_overheads(per_run: Sequence[Mapping[int, float]]) -> dict[int, float]:
    """Each job's median overhead over the runs it completed in (never below 0)."""
    seqs = sorted(set().union(*per_run)) if per_run else []
    return {s: max(0.0, float(np.median([run[s] for run in per_run if s in run])))
            for s in seqs}


@dataclass(frozen=True)
class Verdict:
    """The whole validation: every run, the summary and whether it passed."""

    runs: list[PairAgreement]             # the simulator against each real run
    real_vs_real: list[PairAgreement]     # real run i against real run 1 (noise floor)
    launch: list[Spread]                  # launch overhead per real run (s)
    min_kendall: float
    max_wait_error: float
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return bool(self.summary.get("passed"))

    def to_dict(self) -> dict[str, object]:
        return {"runs": [r.to_dict() for r in self.runs],
                "real_vs_real": [r.to_dict() for r in self.real_vs_real],
                "launch_overhead_s": [asdict(s) for s in self.launch],
                "thresholds": {"min_kendall": self.min_kendall,
                               "max_wait_error": self.max_wait_error},
                "summary": self.summary}


def judge(reals: Sequence[RunView], sim: RunView, *, runtimes: Mapping[int, float],
          min_kendall: float = 0.9, max_wait_error: float = 0.1) -> Verdict:
    """Compare ``sim`` with every real run and decide.

    Passes when the mean over runs of tau-b is >= ``min_kendall`` and the simulator's
    mean wait is within ``max_wait_error`` (relative) of the mean of Slurm's mean waits.
    """
    if not reals:
        raise ValueError("judge needs at least one real run")
    runs = [pair(real, sim) for real in reals]
    noise = [pair(reals[0], other) for other in reals[1:]]
    launch = [Spread.of(list(launch_overheads(r, runtimes).values())) for r in reals]
    verdict = Verdict(runs, noise, launch, min_kendall, max_wait_error)
    verdict.summary.update(_summary(reals, sim, runs, noise, launch, min_kendall,
                                    max_wait_error))
    return verdict


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def _summary(reals: Sequence[RunView], sim: RunView, runs: Sequence[PairAgreement],
             noise: Sequence[PairAgreement], launch: Sequence[Spread], min_kendall: float,
             max_wait_error: float) -> dict[str, object]:
    real_means = [Spread.of(waits(r)).mean for r in reals]
    real_stats = {k: _mean([getattr(Spread.of(waits(r)), k) for r in reals])
                  for k in ("mean", "median", "p95")}
    sim_stats = Spread.of(waits(sim))
    known = [m for m in real_means if m is not None]
    low, high = (min(known), max(known)) if known else (None, None)
    inside = None
    if sim_stats.mean is not None and low is not None and high is not None:
        inside = low <= sim_stats.mean <= high
    tau = _mean([r.kendall_tau_b for r in runs])
    errors = {k: rel_error(getattr(sim_stats, k), real_stats[k]) for k in real_stats}
    passed = (tau is not None and tau >= min_kendall and errors["mean"] is not None
              and abs(errors["mean"]) <= max_wait_error)
    deltas = [r.shift for r in runs]
    return {
        "real_runs": len(reals),
        "kendall_tau_b": tau, "kendall_tau_b_min": _min([r.kendall_tau_b for r in runs]),
        "spearman": _mean([r.spearman for r in runs]),
        "wait_real": real_stats, "wait_sim": {k: getattr(sim_stats, k)
                                              for k in ("mean", "median", "p95")},
        "wait_rel_error": errors,
        "real_mean_wait_range": [low, high], "sim_mean_wait_inside_real_range": inside,
        "shift_mean_abs_s": _mean([d.mean_abs for d in deltas]),
        "shift_median_s": _mean([d.quantiles["p50"] for d in deltas]),
        "real_vs_real_kendall_tau_b": _mean([r.kendall_tau_b for r in noise]),
        "launch_overhead_mean_s": _mean([s.mean for s in launch]),
        "launch_overhead_median_s": _mean([s.median for s in launch]),
        "passed": passed,
    }


def _min(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None

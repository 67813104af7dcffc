"""Checking any run directory: which checks it gets, with which options, and their verdicts.

A scenario run recorded its own checks (and their options) in checks.json: those run
again. Any other run (storm, replay, the pytest helper; simulator or Slurm) gets the
invariants true of every policy. Every run also gets ``run_complete``: a run stopped
early can pass every invariant and still not be the run that was asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from workload.checks.observed import Observed, load_observed
from workload.checks.registry import DEFAULT_INVARIANTS, run_invariants
from workload.checks.result import CheckResult
from workload.checks.thresholds import check_metrics
from workload.rundir import read_checks

Plan = dict[str, dict[str, object]]
METRICS_CHECK = "metrics"


def recorded_plan(run_dir: Path) -> tuple[Plan, dict[str, dict[str, float]]]:
    """(invariants with options, metric thresholds) a scenario run recorded, or the
    defaults when it recorded none."""
    recorded = read_checks(run_dir)
    invariants = {c["name"]: dict(c.get("options") or {}) for c in recorded
                  if c.get("name") != METRICS_CHECK}
    thresholds = next((dict(c.get("options") or {}) for c in recorded
                       if c.get("name") == METRICS_CHECK), {})
    if not invariants:
        invariants = {name: {} for name in DEFAULT_INVARIANTS}
    invariants.setdefault("run_complete", {})
    return invariants, thresholds


def check_run_dir(run_dir: str | Path, only: Sequence[str] = ()
                  ) -> tuple[Observed, list[CheckResult]]:
    """Load ``run_dir`` (InputError if it is not one) and run its checks, or ``only``
    the invariants named (with the options the run recorded for them, if any)."""
    obs = load_observed(run_dir)
    invariants, thresholds = recorded_plan(Path(run_dir))
    if only:
        invariants = {name: invariants.get(name, {}) for name in only}
        thresholds = {}
    results = run_invariants(obs, invariants)
    if thresholds:
        results.append(check_metrics(obs.metrics, thresholds))
    return obs, results


def with_options(results: Sequence[CheckResult], invariants: Mapping[str, Mapping[str, object]],
                 thresholds: Mapping[str, object]) -> list[dict[str, object]]:
    """checks.json entries: each verdict with the options it ran with (to run it again)."""
    return [{**r.to_dict(), "options": dict(thresholds if r.name == METRICS_CHECK
                                            else invariants.get(r.name, {}))}
            for r in results]

"""Metric thresholds: ``wait_mean_s: {max: 600}``, ``completed: {min: 500}``, ``{eq: 0}``."""

from __future__ import annotations

from collections.abc import Mapping

from workload.checks.result import CheckResult, Verdict

BOUNDS = ("min", "max", "eq")


def check_metrics(metrics: Mapping[str, object],
                  thresholds: Mapping[str, Mapping[str, float]]) -> CheckResult:
    """Each threshold is one check item; a missing or null metric fails it."""
    verdict = Verdict("metrics")
    for key, bounds in thresholds.items():
        value = metrics.get(key)
        for bound, limit in bounds.items():
            verdict.count()
            if not isinstance(value, (int, float)) or not _holds(bound, float(value), limit):
                verdict.fail(metric=key, value=value, rule=f"{bound} {limit}")
    return verdict.result()


def _holds(bound: str, value: float, limit: float) -> bool:
    if bound == "min":
        return value >= limit
    if bound == "max":
        return value <= limit
    return abs(value - limit) <= 1e-9 * max(1.0, abs(limit))

"""Assertion helpers: each runs one invariant and fails the test with its counterexamples."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workload.checks import (INVARIANTS, CheckResult, Observed, check_all_accounted,
                             check_dependencies, check_easy_reservation, check_metrics,
                             check_no_overcommit, check_priority_order,
                             check_started_after_submit, check_within_time_limit)
from workload.checks.registry import DEFAULT_INVARIANTS

__tracebackhide__ = True


def assert_check(result: CheckResult) -> CheckResult:
    """Fail with the check's summary and counterexamples unless it passed (or was n/a)."""
    __tracebackhide__ = True
    if not result.passed:
        raise AssertionError(result.summary() + "".join(
            f"\n  {v}" for v in result.violations[3:]))
    return result


def assert_no_overcommit(obs: Observed, **options) -> CheckResult:
    return assert_check(check_no_overcommit(obs, **options))


def assert_dependencies(obs: Observed, **options) -> CheckResult:
    return assert_check(check_dependencies(obs, **options))


def assert_started_after_submit(obs: Observed, **options) -> CheckResult:
    return assert_check(check_started_after_submit(obs, **options))


def assert_within_time_limit(obs: Observed, **options) -> CheckResult:
    return assert_check(check_within_time_limit(obs, **options))


def assert_easy_reservation(obs: Observed, **options) -> CheckResult:
    return assert_check(check_easy_reservation(obs, **options))


def assert_priority_order(obs: Observed, **options) -> CheckResult:
    return assert_check(check_priority_order(obs, **options))


def assert_all_accounted(obs: Observed) -> CheckResult:
    return assert_check(check_all_accounted(obs))


def assert_invariants(obs: Observed, names: Iterable[str] = DEFAULT_INVARIANTS
                      ) -> list[CheckResult]:
    """Every named invariant, each with its defaults; fails on the first that fails."""
    __tracebackhide__ = True
    return [assert_check(INVARIANTS[name](obs)) for name in names]


def assert_metrics(obs: Observed, thresholds: Mapping[str, Mapping[str, float]]
                   ) -> CheckResult:
    """E.g. ``assert_metrics(obs, {"wait_mean_s": {"max": 600}})``."""
    return assert_check(check_metrics(obs.metrics, thresholds))

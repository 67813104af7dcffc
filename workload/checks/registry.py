"""Invariants by name, and running a set of them (with options) over one schedule."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping

from workload.checks.accounting import check_all_accounted, check_run_complete
from workload.checks.capacity import check_no_overcommit
from workload.checks.deps import check_dependencies
from workload.checks.easy import check_easy_reservation
from workload.checks.observed import Observed
from workload.checks.order import check_priority_order
from workload.checks.result import CheckResult
from workload.checks.timing import check_started_after_submit, check_within_time_limit

Check = Callable[..., CheckResult]
INVARIANTS: dict[str, Check] = {
    "no_overcommit": check_no_overcommit,
    "dependencies": check_dependencies,
    "started_after_submit": check_started_after_submit,
    "within_time_limit": check_within_time_limit,
    "easy_reservation": check_easy_reservation,
    "priority_order": check_priority_order,
    "all_accounted": check_all_accounted,
    "run_complete": check_run_complete,
}
#: What a scenario without a ``checks.invariants`` list runs: true of every policy.
DEFAULT_INVARIANTS = ("no_overcommit", "dependencies", "started_after_submit",
                      "within_time_limit", "priority_order", "all_accounted")


def options_of(name: str) -> dict[str, object]:
    """The keyword options an invariant takes, with their defaults."""
    params = inspect.signature(INVARIANTS[name]).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}


def invariant_problem(name: str, options: Mapping[str, object]) -> str | None:
    """What is wrong with an invariant name and its options (the rule broken), or None."""
    if name not in INVARIANTS:
        return f"unknown invariant {name!r}; known: {', '.join(INVARIANTS)}"
    unknown = set(options) - set(options_of(name))
    if unknown:
        allowed = ", ".join(options_of(name)) or "none"
        return (f"unknown option(s) {', '.join(sorted(unknown))} for {name} "
                f"(allowed: {allowed})")
    return None


def run_invariants(obs: Observed, invariants: Mapping[str, Mapping[str, object]]
                   ) -> list[CheckResult]:
    return [INVARIANTS[name](obs, **dict(options)) for name, options in invariants.items()]

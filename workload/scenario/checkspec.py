"""The ``checks`` section: invariants (with options) and metric thresholds."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from workload.checks.registry import DEFAULT_INVARIANTS, invariant_problem
from workload.checks.thresholds import BOUNDS
from workload.run.metrics import REALTIME_KEYS, REQUIRED_KEYS
from workload.scenario.schema import Key

KEYS = ("invariants", "metrics")
# metrics.json's numeric keys besides the required and real-time ones (README, "What a
# run writes"); ``skipped_<reason>`` counts come per reason.
OTHER_METRICS = ("node_fail", "rejected", "unaccounted", "ended", "events", "not_submitted",
                 "open_loop_fallbacks", "out_of_memory", "preempted", "wall_s",
                 "submit_lag_max_s", "submit_lag_workload_max_s")
METRICS = REQUIRED_KEYS + REALTIME_KEYS + OTHER_METRICS


@dataclass(frozen=True)
class ChecksDef:
    invariants: dict[str, dict[str, object]] = field(
        default_factory=lambda: {name: {} for name in DEFAULT_INVARIANTS})
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)


def parse_checks(key: Key | None) -> ChecksDef:
    if key is None or key.value is None:
        return ChecksDef()
    keys = key.mapping(KEYS)
    invariants = (_invariants(keys["invariants"]) if "invariants" in keys
                  else ChecksDef().invariants)
    metrics = _metrics(keys["metrics"]) if "metrics" in keys else {}
    return ChecksDef(invariants, metrics)


def _invariants(key: Key) -> dict[str, dict[str, object]]:
    """A list of names (or one-key mappings name: {options}), or a mapping name: options."""
    entries: list[tuple[str, Key | None, Key]] = []
    if isinstance(key.value, dict):
        entries = [(name, k, k) for name, k in key.mapping().items()]
    else:
        for item in key.items():
            if isinstance(item.value, str):
                entries.append((item.value, None, item))
            else:
                ((name, k),) = _single(item).items()
                entries.append((name, k, k))
    out: dict[str, dict[str, object]] = {}
    for name, options_key, where in entries:
        options = {}
        if options_key is not None and options_key.value is not None:
            options = {n: _option(k) for n, k in options_key.mapping().items()}
        problem = invariant_problem(name, options)
        if problem:
            raise where.error(problem)
        out[name] = options
    return out


def _single(item: Key) -> dict[str, Key]:
    keys = item.mapping()
    if len(keys) != 1:
        raise item.error("must be a name or one mapping name: {options}")
    return keys


def _option(key: Key) -> object:
    """An invariant's option; times (``tolerance_s``...) are finite and >= 0: a negative
    tolerance would report violations that are not there."""
    if key.path.endswith("_s"):
        return key.number(low=0.0)
    return key.scalar()


def _metrics(key: Key) -> dict[str, dict[str, float]]:
    out = {}
    for name, bounds in key.mapping().items():
        if name not in METRICS and not name.startswith("skipped_"):
            near = difflib.get_close_matches(name, METRICS, n=1)
            raise bounds.error("unknown metric" + (f"; did you mean {near[0]}?" if near else
                                                   f"; known: {', '.join(METRICS)}"))
        out[name] = {b: k.number() for b, k in bounds.mapping(BOUNDS).items()}
        if not out[name]:
            raise bounds.error(f"give at least one of {', '.join(BOUNDS)}")
    return out

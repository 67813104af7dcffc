"""The ``checks`` section: invariants (with options) and metric thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field

from workload.checks.registry import DEFAULT_INVARIANTS, invariant_problem
from workload.checks.thresholds import BOUNDS
from workload.scenario.schema import Key

KEYS = ("invariants", "metrics")


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
            options = {n: k.scalar() for n, k in options_key.mapping().items()}
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


def _metrics(key: Key) -> dict[str, dict[str, float]]:
    out = {}
    for name, bounds in key.mapping().items():
        out[name] = {b: k.number() for b, k in bounds.mapping(BOUNDS).items()}
        if not out[name]:
            raise bounds.error(f"give at least one of {', '.join(BOUNDS)}")
    return out

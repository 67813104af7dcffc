"""What a check says: pass, fail or not applicable, with counterexamples to look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PASS, FAIL, NA = "pass", "fail", "n/a"
SHOWN = 10   # counterexamples kept in full; the rest are only counted


@dataclass
class CheckResult:
    """The outcome of one check over one observed schedule.

    ``checked`` counts what was examined (jobs, instants, pairs), so a pass over
    nothing is visible as such. ``violations`` holds the first few counterexamples
    (each names job seqs/ids and times); ``failures`` counts all of them.
    """

    name: str
    status: str
    checked: int = 0
    failures: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool:
        """Not applicable counts as passed: there was nothing the check could refute."""
        return self.status != FAIL

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "checked": self.checked,
                "failures": self.failures, "violations": self.violations, "note": self.note}

    def summary(self) -> str:
        line = f"{self.status.upper():4} {self.name}: {self.checked} checked"
        if self.failures:
            line += f", {self.failures} violation(s)"
        if self.note:
            line += f" ({self.note})"
        shown = [f"       {_one_line(v)}" for v in self.violations[:3]]
        return "\n".join([line, *shown])


def _one_line(violation: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in violation.items())


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


class Verdict:
    """Collects counterexamples while a check runs; ``result()`` makes the CheckResult."""

    def __init__(self, name: str) -> None:
        self.name, self.checked, self.failures = name, 0, 0
        self.violations: list[dict[str, Any]] = []

    def count(self, n: int = 1) -> None:
        self.checked += n

    def fail(self, **counterexample: Any) -> None:
        self.failures += 1
        if len(self.violations) < SHOWN:
            self.violations.append(counterexample)

    def result(self, note: str = "") -> CheckResult:
        status = FAIL if self.failures else PASS
        return CheckResult(self.name, status, self.checked, self.failures,
                           self.violations, note)


def not_applicable(name: str, why: str) -> CheckResult:
    return CheckResult(name, NA, note=why)

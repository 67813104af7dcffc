"""A run's faults in its report: intervals marked on the time charts, and a table.

The faults are what the fault driver recorded in the run directory (``faults.jsonl``,
workload/rundir.py: each scenario fault with its ``outcome``, ``began_s`` from the run's
start and ``took_s``). A fault that was applied opens or closes an interval:

- node_down .. node_up of a node, link_down .. link_up of a link: from the one to the
  other (still open at the run's end: to the end);
- slurmctld_restart: while the driver had the controller down (``took_s``);
- slow_node: from then to the end of the run, or to a slow_node of factor 1 on that node;
- an up without its down (the down before the run): a mark at its time.

Faults that were not applied (``failed``, ``not reached``) are in the table only.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

OPENS = {"node_down": "node", "link_down": "link"}
CLOSES = {"node_up": "node", "link_up": "link"}


@dataclass(frozen=True, slots=True)
class Span:
    """One fault interval, seconds since the run's start (``end_s`` None: to its end)."""

    label: str
    start_s: float
    end_s: float | None


def _target(fault: Mapping[str, Any], key: str) -> str:
    return str(fault.get(key) or fault.get("node") or fault.get("link") or "")


def spans(faults: Sequence[Mapping[str, Any]]) -> list[Span]:
    """The intervals of the applied faults, in the order they began."""
    applied = sorted((f for f in faults if f.get("outcome") == "applied"
                      and f.get("began_s") is not None), key=lambda f: float(f["began_s"]))
    out: list[Span] = []
    open_: dict[tuple[str, str], tuple[str, float]] = {}
    for fault in applied:
        action, at = str(fault["action"]), float(fault["began_s"])
        if action in OPENS:
            key = (OPENS[action], _target(fault, OPENS[action]))
            open_.setdefault(key, (f"{key[1]} {key[0]} down", at))
        elif action in CLOSES:
            key = (CLOSES[action], _target(fault, CLOSES[action]))
            label, began = open_.pop(key, (f"{key[1]} {key[0]} up", at))
            out.append(Span(label, began, at))
        elif action == "slurmctld_restart":
            out.append(Span("slurmctld restart", at, at + float(fault.get("took_s") or 0)))
        elif action == "slow_node":
            key = ("slow", _target(fault, "node"))
            if key in open_:
                label, began = open_.pop(key)
                out.append(Span(label, began, at))
            if float(fault.get("factor") or 1) > 1:
                open_[key] = (f"{key[1]} slow x{float(fault['factor']):g}", at)
    out += [Span(label, began, None) for label, began in open_.values()]
    return sorted(out, key=lambda s: s.start_s)


def table(runs: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> str:
    """Every run's faults, applied or not, as one HTML table ("" when no run has any)."""
    rows = []
    for run, faults in runs:
        for f in faults:
            cells = (run, _num(f.get("began_s"), f.get("at_s")), str(f.get("action", "")),
                     _target(f, "link" if "link" in str(f.get("action")) else "node"),
                     str(f.get("outcome", "")), str(f.get("detail") or ""),
                     _num(f.get("took_s")))
            css = "pass" if f.get("outcome") == "applied" else "fail"
            rows.append("<tr>" + "".join(
                f'<td{" class=" + repr(css) if i == 4 else ""}>{html.escape(c)}</td>'
                for i, c in enumerate(cells)) + "</tr>")
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in ("run", "at (s)", "action", "node / link",
                                             "outcome", "detail", "took (s)"))
    return f'<h2>Faults</h2><table id="faults"><tr>{head}</tr>{"".join(rows)}</table>'


def _num(*values: object) -> str:
    value = next((v for v in values if v is not None), None)
    return "-" if value is None else f"{float(str(value)):,.1f}"

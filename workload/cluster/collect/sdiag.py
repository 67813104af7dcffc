"""`sdiag` text -> scheduler metrics: a pure parser, tested on stored real outputs.

The output of 22.05, 24.11 and 26.05 is the same "Label: number" text in sections
(Main schedule statistics, Backfilling stats, RPC statistics by message type). The same
labels ("Last cycle", "Mean cycle", "Total cycles") appear in several sections, so the
parser keeps track of the section it is in. Slurm prints a mean only once a cycle has
run (sdiag.c: ``if (counter > 0)``), so means may be absent: absent stays absent, it is
never reported as 0. The lines every release prints (server threads, job counters) are
required: a text without them is not sdiag output and raises ValueError.
"""

from __future__ import annotations

import re

#: metric name (under ``scheduler.``) <- (section, sdiag label)
FIELDS: dict[str, tuple[str, str]] = {
    "server_threads": ("", "Server thread count"),
    "agent_queue_size": ("", "Agent queue size"),
    "dbd_agent_queue_size": ("", "DBD Agent queue size"),
    "jobs_submitted": ("", "Jobs submitted"),
    "jobs_started": ("", "Jobs started"),
    "jobs_completed": ("", "Jobs completed"),
    "jobs_canceled": ("", "Jobs canceled"),
    "jobs_failed": ("", "Jobs failed"),
    "jobs_pending": ("", "Jobs pending"),
    "jobs_running": ("", "Jobs running"),
    "main.last_cycle_us": ("main", "Last cycle"),
    "main.mean_cycle_us": ("main", "Mean cycle"),
    "main.max_cycle_us": ("main", "Max cycle"),
    "main.cycles": ("main", "Total cycles"),
    "main.last_queue_length": ("main", "Last queue length"),
    "backfill.last_cycle_us": ("backfill", "Last cycle"),
    "backfill.mean_cycle_us": ("backfill", "Mean cycle"),
    "backfill.max_cycle_us": ("backfill", "Max cycle"),
    "backfill.cycles": ("backfill", "Total cycles"),
    "backfill.backfilled_jobs": ("backfill", "Total backfilled jobs (since last slurm start)"),
    "backfill.depth_mean": ("backfill", "Depth Mean"),
    "backfill.last_depth": ("backfill", "Last depth cycle"),
    "backfill.last_queue_length": ("backfill", "Last queue length"),
}
REQUIRED = ("server_threads", "agent_queue_size", "jobs_submitted", "jobs_started",
            "jobs_completed", "jobs_failed")
TOP_RPCS = 10   # the busiest RPC types by count; the rest would be a series each for little

_SECTIONS = {"Main schedule statistics": "main", "Backfilling stats": "backfill",
             "Remote Procedure Call statistics by message type": "rpc"}
_VALUE = re.compile(r"^\s*([A-Za-z][^:]*?):\s*(-?\d+)\s*$")
_RPC = re.compile(r"^\s+([A-Z][A-Z0-9_]+)\s+\(\s*\d+\)\s+count:(\d+)\s+ave_time:(\d+)"
                  r"\s+total_time:(\d+)")


def _section(line: str, current: str) -> str:
    """The section a line is in: an unindented heading opens one; an unindented
    "Label: number" is a top-level line; any other heading opens one we skip."""
    if line[:1] in ("\t", " ") or not line.strip():
        return current
    for heading, name in _SECTIONS.items():
        if line.startswith(heading):
            return name
    return "" if _VALUE.match(line) else "other"


def parse_sdiag(text: str, top_rpcs: int = TOP_RPCS) -> dict[str, float]:
    """Metric name -> value, e.g. ``{"server_threads": 3.0, "main.mean_cycle_us": 821.0,
    "rpc.REQUEST_SUBMIT_BATCH_JOB.count": 8.0, ...}`` (names under ``scheduler.``)."""
    found: dict[tuple[str, str], float] = {}
    rpcs: list[tuple[str, int, int, int]] = []
    section = ""
    for line in text.splitlines():
        section = _section(line, section)
        if section == "rpc" and (rpc := _RPC.match(line)):
            rpcs.append((rpc.group(1), int(rpc.group(2)), int(rpc.group(3)), int(rpc.group(4))))
        elif value := _VALUE.match(line):
            found.setdefault((section, value.group(1).strip()), float(value.group(2)))
    metrics = {name: found[key] for name, key in FIELDS.items() if key in found}
    missing = [FIELDS[name][1] for name in REQUIRED if name not in metrics]
    if missing:
        raise ValueError(f"not sdiag output: no {', '.join(repr(m) for m in missing)} line")
    for name, count, ave, total in sorted(rpcs, key=lambda r: (-r[1], r[0]))[:top_rpcs]:
        metrics.update({f"rpc.{name}.count": float(count),
                        f"rpc.{name}.ave_time_us": float(ave),
                        f"rpc.{name}.total_time_us": float(total)})
    return metrics

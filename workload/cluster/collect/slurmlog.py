"""Slurm daemon log lines -> the receiver's JSON events (pure; no I/O).

The daemons of a wlgen cluster run in the foreground (``slurmctld -D``, ``slurmd -D``,
``slurmdbd -D``) and log to stderr, so their lines are in the container engine's log
file on the host, one record a line:

- podman's ``k8s-file`` (CRI format): ``<RFC 3339 nano> <stream> <F|P> <text>``, ``P``
  for a piece of a longer line that the next record continues;
- docker's ``json-file``: ``{"log": "<text>\\n", "stream": "stderr", "time": "..."}``.

Slurm's own text is ``<daemon>: [<level>: ]<message>`` up to 24.11: the daemon is
``slurmctld``, ``slurmdbd`` or ``slurmd-<node>`` (slurmd names its node; ``slurmd:``
before it knows it); 26.05 writes ``[<local time>] [<level>: ]<message>`` instead (no
daemon: it is the container's). The level is one of Slurm's (``fatal``, ``error``,
``warning``, ``debug`` .. ``debug5``, ``verbose``); no level word is ``info``. The job
a line names, as Slurm writes it: ``JobId=12``, ``JobId=7_3(12)`` (an array task: its
own id, 12), ``StepId=12.0``, ``job_id=12``, ``job 12``, ``jobid 12``, ``[12.batch]``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LEVELS = ("fatal", "error", "warning", "debug5", "debug4", "debug3", "debug2", "debug",
          "verbose", "info")
_PREFIX = re.compile(r"^(slurmctld|slurmdbd|slurmd(?:-(?P<node>[\w.-]+))?|slurmstepd"
                     r"(?:-(?P<snode>[\w.-]+))?|slurmscriptd): ")
_STAMP = re.compile(r"^\[\d{4}-\d\d-\d\dT[\d:.]+\] ")   # 26.05; the engine's time is kept
_LEVEL = re.compile(r"^(" + "|".join(LEVELS) + r"): ")
_JOB = re.compile(r"\bJobId=(\d+)(?:_\d+\((\d+)\))?|\bStepId=(\d+)\.|\bjob_?id[=:]\s*(\d+)"
                  r"|\bjob(?:id)? (\d+)\b|\[(\d+)\.(?:batch|extern|interactive|\d+)\]",
                  re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EngineLine:
    """One record of the engine's log file: when, and the text (``partial``: continued
    by the next record)."""

    time: float
    text: str
    partial: bool = False


@dataclass(frozen=True, slots=True)
class SlurmLine:
    daemon: str              # slurmctld, slurmd, slurmdbd, slurmstepd, slurmscriptd
    node: str | None         # slurmd's own node name, when the line says it
    level: str
    message: str
    job_id: str | None


def rfc3339(text: str) -> float:
    """``2026-12-04T13:46:23.531782032+00:00`` (nanoseconds; ``Z`` too) -> epoch seconds."""
    head, dot, rest = text.partition(".")
    frac, zone = "", rest
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        frac, zone = rest[:digits], rest[digits:]
    zone = "+00:00" if zone in ("Z", "") else zone
    seconds = datetime.fromisoformat(head + zone).timestamp()
    return seconds + (float(f"0.{frac}") if frac else 0.0)


def parse_engine_line(line: str) -> EngineLine:
    """One line of a k8s-file or json-file container log (ValueError when it is neither)."""
    if line.startswith("{"):
        record = json.loads(line)
        text = record["log"]
        return EngineLine(rfc3339(record["time"]), text.rstrip("\n"),
                          partial=not text.endswith("\n"))
    when, stream, tag, text = (line.rstrip("\n").split(" ", 3) + ["", "", ""])[:4]
    if stream not in ("stdout", "stderr") or tag not in ("F", "P"):
        raise ValueError(f"not a container log line: {line[:80]!r}")
    return EngineLine(rfc3339(when), text, partial=tag == "P")


def job_id(message: str) -> str | None:
    """The first job the message names (an array task's own id), else None."""
    found = _JOB.search(message)
    if not found:
        return None
    return next(g for g in found.groups()[1:] + found.groups()[:1] if g)


def parse_slurm_line(text: str, default_daemon: str) -> SlurmLine:
    """Slurm's ``[<time>] <daemon>: [<level>: ]<message>`` (time or daemon may be
    missing); a line without the daemon is ``default_daemon``'s."""
    stamp = _STAMP.match(text)
    text = text[stamp.end():] if stamp else text
    found = _PREFIX.match(text)
    daemon, node, rest = default_daemon, None, text
    if found:
        daemon = found.group(1).split("-")[0]
        node = found.group("node") or found.group("snode")
        rest = text[found.end():]
    level = _LEVEL.match(rest)
    message = rest[level.end():] if level else rest
    return SlurmLine(daemon, node, level.group(1) if level else "info", message.strip(),
                     job_id(message))


def document(cluster: str, container_node: str, daemon_default: str, line: EngineLine,
             source: str) -> dict[str, Any]:
    """The receiver's JSON event for one line of a daemon's log (``source``: where it was
    read, ``<container>:<offset>``, so a receiver can drop a line it got twice)."""
    from workload.sinks.logstash import iso8601
    parsed = parse_slurm_line(line.text, daemon_default)
    doc: dict[str, Any] = {
        "@timestamp": iso8601(line.time), "@version": "1", "type": "slurm-log",
        "cluster": cluster, "daemon": parsed.daemon, "node": parsed.node or container_node,
        "level": parsed.level, "message": parsed.message, "time": round(line.time, 6),
        "source": source}
    if parsed.job_id is not None:
        doc["job_id"] = parsed.job_id
    return doc

"""The header of a run's schedule.swf: it describes the file written, not the source.

``realised_header`` states what is known when the run starts (format, machine, backend
and policy, the source trace's own header kept apart as ``Source...`` lines) with the
standard fields in the standard order; ``complete_header`` fills in what only the end
knows (counts, span, end states) just before the writer puts it in front of the records.

Values never contain ": " (a colon and a space): evalys and other readers split a header
line at its last one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workload import __version__
from workload.backends.base import ClusterInfo
from workload.event import CANCELLED, COMPLETED, FINAL_STATES
from workload.swf import Header

#: Times are whole multiples of 1/TIME_GRID s: exact binary fractions, so any reader's
#: submit + wait + run equals the end the writer rounded, and never overlaps the next job.
TIME_GRID = 1024
END_STATES = "WlgenEndStates"
SOURCE_PREFIX = "Source"
STATUS_NOTE = ("status 1 is COMPLETED, 5 CANCELLED and 0 every other end (FAILED, TIMEOUT, "
               "NODE_FAIL, OUT_OF_MEMORY, PREEMPTED, REJECTED), as SWF has no code for "
               f"them; {END_STATES} counts each, and the run's events.jsonl has each job's "
               "own state (wlgen metrics RUN_DIR reads it)")
TIME_NOTE = ("times are seconds from UnixStartTime; submit, start and end were rounded to "
             f"1/{TIME_GRID} s first and wait and run are their differences, so "
             "submit + wait + run is exact in binary floating point")


@dataclass(frozen=True)
class ScheduleFacts:
    """What only the end of a run knows about the records written."""

    records: int
    start: int                  # UnixStartTime: the run's epoch, whole seconds
    last_end_s: float           # the last termination, seconds from start
    states: Mapping[str, int]   # ends by true state
    partitions: Mapping[str, int]
    missing: int = 0            # job numbers with no record (jobs that never ended)
    clamped: int = 0            # times before UnixStartTime or a start before its submit


@dataclass
class RunHeader(Header):
    """A run's header, and how to ask at close what the source skipped (sources stream:
    the count is final only once the workload is consumed)."""

    skipped: Callable[[], Mapping[str, int]] | None = None


def realised_header(source: Header | None, info: ClusterInfo, run_id: str, backend: str,
                    settings: Mapping[str, object] | None = None,
                    skipped: Callable[[], Mapping[str, int]] | None = None) -> Header:
    """The header of the schedule the run realises, with placeholders for the end."""
    settings = settings or {}
    header = RunHeader(skipped=skipped)
    header.entries += _provenance(source, run_id, info, backend)
    header.entries += [("MaxJobs", ""), ("MaxRecords", ""), ("Preemption", "No"),
                       ("UnixStartTime", ""), ("TimeZoneString", _zone_name(source)),
                       ("StartTime", ""), ("EndTime", "")]
    header.entries += _machine(info)
    header.entries += [
        ("Note", f"realised schedule of wlgen run {run_id}, {_ran_on(info, backend, settings)}"),
        ("Note", "one record per job in submit order; job number = the job's place in the "
                 "run; a requeued job's record is its last run; a job that never started "
                 "has wait and run -1; jobs the source could not replay are not here "
                 "(metrics.json counts them as skipped)"),
        ("Note", TIME_NOTE), ("Note", STATUS_NOTE), (END_STATES, "")]
    if source and source.entries:
        header.entries += _source_lines(source, settings)
    return header


def _provenance(source: Header | None, run_id: str, info: ClusterInfo,
                backend: str) -> list[tuple[str, str]]:
    lines = [("Version", "2.2"), ("Computer", _computer(info, backend)),
             ("Installation", f"wlgen {__version__} run {run_id}")]
    acknowledge = source.get("Acknowledge") if source else None
    if acknowledge:
        lines.append(("Acknowledge", f"{acknowledge} (the source trace)"))
    lines.append(("Conversion", f"wlgen {__version__} (slurm-wlgen) from the run's "
                                "lifecycle events"))
    return lines


def _machine(info: ClusterInfo) -> list[tuple[str, str]]:
    """Size, queues (Slurm has none) and the partitions field 16 numbers."""
    return [("MaxNodes", str(len(info.nodes))), ("MaxProcs", str(info.total_cpus)),
            ("MaxQueues", "0"),
            ("Queues", "none (field 15 is -1); Slurm partitions are numbered in field 16"),
            ("MaxPartitions", str(len(info.partitions))),
            ("Partitions", "the cluster's partitions by number (field 16)"),
            *(("Partition", f"{n} {name}") for n, name in enumerate(info.partitions, 1))]


def complete_header(header: Header, facts: ScheduleFacts) -> Header:
    """Fill in counts, span, end states and partitions (keys missing are appended)."""
    zone = header.get("TimeZoneString")
    header.set("MaxJobs", str(facts.records))
    header.set("MaxRecords", str(facts.records))
    header.set("UnixStartTime", str(facts.start))
    header.set("StartTime", date_text(facts.start, zone))
    header.set("EndTime", date_text(facts.start + facts.last_end_s, zone))
    header.set(END_STATES, format_end_states(facts.states))
    if header.get_all("Partition") or facts.partitions:
        header.set("MaxPartitions", str(len(facts.partitions)))
        header.set_all("Partition", (f"{n} {name}" for name, n in facts.partitions.items()))
    skipped = header.skipped() if isinstance(header, RunHeader) and header.skipped else {}
    if any(skipped.values()):
        reasons = ", ".join(f"{reason} x{n}" for reason, n in skipped.items() if n)
        header.entries.append(("Note", f"{sum(skipped.values())} record(s) of the source were "
                                       f"not replayed and are not in this file ({reasons})"))
    if facts.missing:
        header.entries.append(("Note", f"{facts.missing} job number(s) have no record (jobs "
                                       "that never ended; accounting.json names them)"))
    if facts.clamped:
        header.entries.append(("Note", f"{facts.clamped} time(s) before UnixStartTime or "
                                       "before the job's submit were written as equal to it"))
    return header


def format_end_states(states: Mapping[str, int]) -> str:
    """"COMPLETED 1990, TIMEOUT 7" in Slurm's order of final states; "none" for no jobs."""
    order = list(FINAL_STATES) + sorted(set(states) - set(FINAL_STATES))
    text = ", ".join(f"{s} {states[s]}" for s in order if states.get(s))
    return text or "none"


def parse_end_states(text: str | None) -> Counter[str] | None:
    """The counts of a WlgenEndStates value, or None when it is absent or malformed."""
    if not text:
        return None
    if text.strip() == "none":
        return Counter()
    counts: Counter[str] = Counter()
    for part in text.split(","):
        name, _, number = part.strip().partition(" ")
        if not name.isupper() or not number.strip().isdigit():
            return None
        counts[name] += int(number)
    return counts


def swf_status(state: str) -> int:
    """SWF field 11: 1 completed, 5 cancelled, 0 failed (and every other end)."""
    return 1 if state == COMPLETED else 5 if state == CANCELLED else 0


def _computer(info: ClusterInfo, backend: str) -> str:
    shape = f"{len(info.nodes)} nodes, {info.total_cpus} CPUs"
    if backend == "sim":
        return f"wlgen simulated cluster {info.name} ({shape})"
    version = f"Slurm {info.slurm_version}" if info.slurm_version else "Slurm"
    return f"{version} cluster {info.name} ({shape})"


def _ran_on(info: ClusterInfo, backend: str, settings: Mapping[str, object]) -> str:
    if backend == "sim":
        policy = str(settings.get("policy") or "easy").upper()
        return f"simulated by wlgen's embedded simulator, {policy} policy"
    client = f" through slurmrestd {info.slurm_api}" if info.slurm_api else ""
    return f"run on real Slurm ({backend} backend{client}), scheduled as its slurm.conf says"


def _source_lines(source: Header, settings: Mapping[str, object]) -> list[tuple[str, str]]:
    """The source trace's header, every line kept, each key prefixed with "Source"."""
    described = settings.get("source")
    trace = described.get("trace") if isinstance(described, Mapping) else None
    lines = [("Note", f"the {SOURCE_PREFIX}... lines are the header of the source trace"
                      + (f" {trace}" if trace else "") + "; they describe it, not this file")]
    for key, value in source.entries:
        if key:
            lines.append((SOURCE_PREFIX + key, value))
        elif value:
            lines.append((SOURCE_PREFIX + "Comment", value))
    return lines


def _zone_name(source: Header | None) -> str:
    """The source trace's time zone when it names a real one, else UTC."""
    zone = _zone((source.get("TimeZoneString") or "").strip() if source else None)
    return zone.key if zone is not None else "UTC"


def _zone(name: str | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def date_text(unix: float, zone: str | None) -> str:
    """As `date` prints it: "Mon Sep 23 14:00:31 CEST 1996" (UTC for an unknown zone)."""
    moment = datetime.fromtimestamp(unix, _zone(zone) or timezone.utc)
    return f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S} {moment:%Z %Y}"

"""Hand-made schedules: events from a few rows, to test checks against known answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workload.backends.base import ClusterInfo, NodeInfo
from workload.checks.observed import Observed
from workload.checks.semantics import TEXTBOOK, Semantics
from workload.event import COMPLETED, END, PENDING, RUNNING, START, SUBMIT, Event
from workload.spec import JobSpec


@dataclass(frozen=True)
class Row:
    """One job as it happened: submitted, started (None: never), ended, where."""

    seq: int
    submit: float
    start: float | None
    end: float
    procs: int = 1
    nodes: tuple[str, ...] = ("n1",)
    limit: float | None = None      # time limit; default: exactly the run time
    state: str = COMPLETED
    partition: str = "batch"
    user: str = "u1"
    mem_per_cpu_mb: int | None = None
    node_count: int | None = None   # pinned -N
    preceding: int | None = None    # seq of the job this one depends on
    job_id: str | None = None       # the backend's id; default j<seq>
    priority: int | None = None     # the scheduler's priority at start (Slurm-like runs)


def row_events(rows: Iterable[Row]) -> list[Event]:
    """The events of the rows in time order (ends before starts at equal times); each
    job's own events stay submit, start, end even if its times say otherwise, as a
    backend emits them (so a start stamped before its submit stays after it)."""
    order = {END: 0, SUBMIT: 1, START: 2}
    keyed = []
    for r in rows:
        common: dict[str, Any] = dict(user=r.user, partition=r.partition, procs=r.procs)
        job_id = r.job_id or f"j{r.seq}"
        mine = [Event(SUBMIT, r.submit, r.seq, job_id, PENDING, **common)]
        if r.start is not None:
            mine.append(Event(START, r.start, r.seq, job_id, RUNNING, nodes=r.nodes,
                              priority=r.priority, **common))
        mine.append(Event(END, r.end, r.seq, job_id, r.state,
                          nodes=r.nodes if r.start is not None else (), **common))
        last = (float("-inf"), 0)
        for i, event in enumerate(mine):
            # Never before this job's previous event, in time or in same-instant rank.
            when = max(last[0], event.time)
            rank = max(last[1], order[event.kind]) if when == last[0] else order[event.kind]
            last = (when, rank)
            keyed.append(((when, rank, event.seq, i), event))
    return [event for _, event in sorted(keyed, key=lambda pair: pair[0])]


def row_request(r: Row) -> JobSpec:
    run = 0.0 if r.start is None else r.end - r.start
    return JobSpec(seq=r.seq, submit_s=r.submit, procs=r.procs, runtime_s=run,
                   time_limit_s=run if r.limit is None else r.limit, nodes=r.node_count,
                   mem_per_cpu_mb=r.mem_per_cpu_mb, user=r.user, partition=r.partition,
                   source_id=r.seq + 1,
                   preceding=None if r.preceding is None else r.preceding + 1)


def hand_cluster(nodes: int = 1, cpus: int = 4, mem_mb: int = 64_000,
                 partitions: Mapping[str, int] | None = None) -> ClusterInfo:
    """Nodes n1..nN; ``partitions`` maps partition name -> node count (default: batch)."""
    parts = list((partitions or {"batch": nodes}).items())
    names = [p for p, count in parts for _ in range(count)]
    return ClusterInfo("hand", tuple(NodeInfo(f"n{i + 1}", cpus, mem_mb, (names[i],))
                                     for i in range(len(names))), parts[0][0])


def observed_from_rows(rows: Iterable[Row], cluster: ClusterInfo | None = None,
                       semantics: Semantics = TEXTBOOK) -> Observed:
    """An Observed built from rows, with the requests they imply, made by ``semantics``."""
    rows = list(rows)
    return Observed(row_events(rows), cluster or hand_cluster(),
                    {r.seq: row_request(r) for r in rows}, semantics=semantics)

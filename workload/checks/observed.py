"""An observed schedule: what every check reads, from a run directory or from memory.

The record of truth is the event stream. What events do not carry (time limits,
memory, dependencies, node shapes) comes from the requests the run submitted
(``requests.jsonl``) and the cluster description (``cluster.json``), which every run
writes (see workload.rundir); older run directories fall back to schedule.swf's
requested times and settings.json's cluster size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workload.backends.base import ClusterInfo, NodeInfo
from workload.backends.sim import make_cluster_info
from workload.checks.semantics import TEXTBOOK, Semantics, semantics_of
from workload.event import Event
from workload.rundir import (EVENTS, SCHEDULE, read_cluster, read_events, read_metrics,
                             read_requests, read_settings, require_run_dir)
from workload.run.schedule import JobRecord, build_schedule
from workload.spec import JobSpec


@dataclass
class Observed:
    """Events, the jobs they make, the requests behind them, the cluster they ran on."""

    events: list[Event]
    cluster: ClusterInfo
    requests: dict[int, JobSpec] = field(default_factory=dict)   # seq -> what was asked
    metrics: dict[str, object] = field(default_factory=dict)
    run_dir: Path | None = None
    semantics: Semantics = TEXTBOOK    # what made the schedule: textbook or Slurm
    jobs: list[JobRecord] = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = list(build_schedule(self.events))

    @property
    def by_seq(self) -> dict[int, JobRecord]:
        return {job.seq: job for job in self.jobs}


def load_observed(run_dir: str | Path) -> Observed:
    """The observed schedule of a run directory (InputError if it is not one)."""
    run_dir = require_run_dir(run_dir)
    events = list(read_events(run_dir / EVENTS))   # InputError names a bad line
    requests = read_requests(run_dir)
    if requests is None:
        requests = _requests_from_swf(run_dir / SCHEDULE)
    return Observed(events, _cluster(run_dir, events), requests, read_metrics(run_dir),
                    run_dir, semantics_of(read_settings(run_dir)))


def _requests_from_swf(path: Path) -> dict[int, JobSpec]:
    """Time limits and sizes from schedule.swf (job number = seq + 1); no memory, no deps."""
    from workload.swf import SwfReader

    if not path.exists():
        return {}
    requests = {}
    for r in SwfReader(path, strict=False):
        if r.req_time > 0:
            requests[r.job - 1] = JobSpec(seq=r.job - 1, submit_s=r.submit, procs=r.procs,
                                          runtime_s=max(r.run, 0.0), time_limit_s=r.req_time)
    return requests


def _cluster(run_dir: Path, events: list[Event]) -> ClusterInfo:
    written = read_cluster(run_dir)
    if written is not None:
        return written
    shape = read_settings(run_dir).get("cluster", {})
    nodes, cpus = int(shape.get("nodes") or 1), int(shape.get("cpus_per_node") or 1)
    partitions = shape.get("partitions") or ["batch"]
    info = make_cluster_info(nodes, cpus, partition=partitions[0])
    known = {n.name for n in info.nodes}
    seen = dict.fromkeys(name for e in events for name in e.nodes if name not in known)
    if not seen:
        return info
    # A real cluster names its nodes its own way: take the names the events use.
    return ClusterInfo(info.name, tuple(NodeInfo(name, cpus, info.nodes[0].mem_mb,
                                                 (partitions[0],)) for name in seen),
                       partitions[0])

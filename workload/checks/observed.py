"""An observed schedule: what every check reads, from a run directory or from memory.

The record of truth is the event stream. What events do not carry (time limits,
memory, dependencies, node shapes) comes from the requests the run submitted
(``requests.jsonl``, written by scenario runs and the pytest helper) and the cluster
description (``cluster.json``); older run directories fall back to schedule.swf's
requested times and settings.json's cluster size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workload.backends.base import ClusterInfo, NodeInfo
from workload.backends.sim import make_cluster_info
from workload.event import Event
from workload.run.remeasure import read_events
from workload.rundir import EVENTS, METRICS, SCHEDULE, SETTINGS, read_json
from workload.run.schedule import JobRecord, build_schedule
from workload.spec import JobSpec

REQUESTS, CLUSTER = "requests.jsonl", "cluster.json"


@dataclass
class Observed:
    """Events, the jobs they make, the requests behind them, the cluster they ran on."""

    events: list[Event]
    cluster: ClusterInfo
    requests: dict[int, JobSpec] = field(default_factory=dict)   # seq -> what was asked
    metrics: dict[str, object] = field(default_factory=dict)
    run_dir: Path | None = None
    jobs: list[JobRecord] = field(init=False)

    def __post_init__(self) -> None:
        self.jobs = list(build_schedule(self.events))

    @property
    def by_seq(self) -> dict[int, JobRecord]:
        return {job.seq: job for job in self.jobs}


# -- writing what events don't carry -------------------------------------------------------
def spec_to_dict(spec: JobSpec) -> dict[str, object]:
    return {**asdict(spec), "payload_args": list(spec.payload_args)}


def spec_from_dict(data: Mapping[str, object]) -> JobSpec:
    known = {k: v for k, v in data.items() if k in JobSpec.__dataclass_fields__}
    known["payload_args"] = tuple(known.get("payload_args") or ())
    return JobSpec(**known)


def cluster_to_dict(info: ClusterInfo) -> dict[str, object]:
    return {"name": info.name, "default_partition": info.default_partition,
            "slurm_version": info.slurm_version,
            "nodes": [{"name": n.name, "cpus": n.cpus, "mem_mb": n.mem_mb,
                       "partitions": list(n.partitions)} for n in info.nodes]}


def cluster_from_dict(data: Mapping[str, object]) -> ClusterInfo:
    nodes = tuple(NodeInfo(n["name"], int(n["cpus"]), int(n["mem_mb"]),
                           tuple(n.get("partitions") or ("batch",)))
                  for n in data["nodes"])   # type: ignore[union-attr]
    return ClusterInfo(str(data.get("name", "cluster")), nodes,
                       str(data.get("default_partition", "batch")),
                       data.get("slurm_version"))   # type: ignore[arg-type]


def tee_requests(specs: Iterable[JobSpec], path: Path) -> Iterable[JobSpec]:
    """Pass specs through lazily, writing each one to ``path`` as it goes."""
    with open(path, "w", encoding="utf-8") as out:
        for spec in specs:
            out.write(json.dumps(spec_to_dict(spec)) + "\n")
            yield spec


# -- reading a run directory ---------------------------------------------------------------
def load_observed(run_dir: str | Path) -> Observed:
    """The observed schedule of a run directory (InputError if it is not one)."""
    run_dir = Path(run_dir)
    events = list(read_events(run_dir / EVENTS))   # InputError names a missing/bad file
    metrics = read_json(run_dir / METRICS) if (run_dir / METRICS).exists() else {}
    return Observed(events, _cluster(run_dir, events), _requests(run_dir), metrics, run_dir)


def _requests(run_dir: Path) -> dict[int, JobSpec]:
    path = run_dir / REQUESTS
    if path.exists():
        with open(path, encoding="utf-8") as lines:
            specs = (spec_from_dict(json.loads(line)) for line in lines if line.strip())
            return {spec.seq: spec for spec in specs}
    if (run_dir / SCHEDULE).exists():
        return _requests_from_swf(run_dir / SCHEDULE)
    return {}


def _requests_from_swf(path: Path) -> dict[int, JobSpec]:
    """Time limits and sizes from schedule.swf (job number = seq + 1); no memory, no deps."""
    from workload.swf import SwfReader

    requests = {}
    for r in SwfReader(path, strict=False):
        if r.req_time > 0:
            requests[r.job - 1] = JobSpec(seq=r.job - 1, submit_s=r.submit, procs=r.procs,
                                          runtime_s=max(r.run, 0.0), time_limit_s=r.req_time)
    return requests


def _cluster(run_dir: Path, events: list[Event]) -> ClusterInfo:
    if (run_dir / CLUSTER).exists():
        return cluster_from_dict(read_json(run_dir / CLUSTER))
    settings = read_json(run_dir / SETTINGS) if (run_dir / SETTINGS).exists() else {}
    shape = settings.get("cluster", {})
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

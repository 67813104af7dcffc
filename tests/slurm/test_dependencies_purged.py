"""Dependencies on parents slurmctld has already forgotten (issue 16), on real Slurm
24.11 with ``MinJobAge=2``: sbatch refuses ``afterok``/``afternotok`` on a purged job
("Job dependency problem", seen on this cluster), which a replay meets whenever a parent
runs sooner than at its source. The backend judges such parents itself: an ``afterok``
child of a completed parent is sent without the dependency and runs; an
``afternotok`` one ends CANCELLED DependencyNeverSatisfied without reaching Slurm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.backends.slurm import make_backend
from workload.cluster import ClusterSpec, wait_for
from workload.event import CANCELLED, COMPLETED
from workload.run.runner import run_workload
from workload.spec import JobSpec

from tests.clusters import per_run_name, session_cluster
from workload.testing.require import require

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]

LATE_S = 30   # children come this long after the parent: its end is seen, it is purged
PARENT = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, source_id=100)
CHILDREN = [PARENT.with_(seq=1, submit_s=LATE_S, source_id=101,
                         depends=(("afterok", (100,)),)),
            PARENT.with_(seq=2, submit_s=LATE_S, source_id=102,
                         depends=(("afternotok", (100,)),))]


def test_children_of_a_purged_parent_are_judged_by_its_end(tmp_path: Path) -> None:
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-purged"), nodes=1, cpus=2, mem_mb=1024,
                       suite="trixie", conf_extra="MinJobAge=2\n")
    with session_cluster(spec, []) as cluster:
        backend = make_backend(client="cli", cluster=cluster.name)
        try:
            result = run_workload([PARENT, *CHILDREN], backend, kind="storm",
                                  out=tmp_path / "r")
        finally:
            backend.close()
        # slurmctld forgets the parent (job names end in .<seq>) within a purge cycle or
        # two of MinJobAge (every 10 s, skipped while backfill runs): --dependency on it
        # is then refused by sbatch, the case this test is about.
        wait_for(lambda: not [name for name in cluster.slurm(
            ["squeue", "-h", "-t", "all", "-o", "%j"]).split() if name.endswith(".0")],
            120, "slurmctld to purge the parent")
    assert result.complete and result.metrics["unaccounted"] == 0, result.metrics
    events = [json.loads(x) for x in (tmp_path / "r" / "events.jsonl").read_text().splitlines()]
    ends = {e["seq"]: e for e in events if e["kind"] == "end"}
    assert ends[0]["state"] == COMPLETED and ends[1]["state"] == COMPLETED, ends
    assert (ends[2]["state"], ends[2]["reason"], ends[2]["job_id"]) == (
        CANCELLED, "DependencyNeverSatisfied", ""), ends[2]   # never sent to Slurm
    starts = {e["seq"]: e["time"] for e in events if e["kind"] == "start"}
    assert starts[1] >= ends[0]["time"] and 2 not in starts

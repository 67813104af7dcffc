"""Any-of dependencies (``?``) on real Slurm 22.05, through sbatch and slurmrestd: Slurm
takes ``afterok:A?afterok:B`` and starts the child once B completed although A failed;
sent as all-of (``,``) it would have ended DependencyNeverSatisfied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.backends.slurm import make_backend
from workload.cluster import Cluster
from workload.event import COMPLETED, FAILED
from workload.run.runner import run_workload
from workload.spec import JobSpec

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]

FAILS = JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, source_id=100,
                payload_args=("--fail-exit", "3"))
COMPLETES = FAILS.with_(seq=1, source_id=101, runtime_s=4, payload_args=())
EITHER = FAILS.with_(seq=2, source_id=102, payload_args=(), depends_any=True,
                     depends=(("afterok", (100,)), ("afterok", (101,))))


@pytest.mark.parametrize("client", ["cli", "rest"])
def test_an_any_of_child_runs_when_one_parent_allows_it(cluster: Cluster, tmp_path: Path,
                                                        client: str) -> None:
    backend = make_backend(client=client, cluster=cluster.name)
    try:
        result = run_workload([FAILS, COMPLETES, EITHER], backend, kind="storm",
                              out=tmp_path / "r")
    finally:
        backend.close()
    assert result.complete, result.metrics
    events = [json.loads(x) for x in (tmp_path / "r" / "events.jsonl").read_text().splitlines()]
    ends = {e["seq"]: e for e in events if e["kind"] == "end"}
    starts = {e["seq"]: e["time"] for e in events if e["kind"] == "start"}
    assert [ends[s]["state"] for s in range(3)] == [FAILED, COMPLETED, COMPLETED]
    # It waited for the one that allowed it: it started after B completed, not at once.
    assert starts[2] >= ends[1]["time"], (starts, ends)

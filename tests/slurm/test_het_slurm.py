"""Heterogeneous jobs on real Slurm 22.05 and 24.11, through sbatch and slurmrestd: each
component got the shape it asked for and all started together (sacct), and the run saw
one job start and end from them (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.backends.slurm import make_backend
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.run.runner import run_workload
from workload.spec import Component, JobSpec

from tests.clusters import per_run_name, session_cluster
from workload.testing.require import require

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]

# Component 0: 1 task, 100 MB a CPU; component 1: 2 tasks on one node, 200 MB a CPU.
# Two of them and an ordinary job, due at once on 2 nodes x 4 CPUs: one het job waits.
SPECS = [JobSpec(seq=seq, submit_s=0, procs=1, runtime_s=3, time_limit_s=60,
                 mem_per_cpu_mb=100, components=(Component(2, nodes=1, mem_per_cpu_mb=200),))
         for seq in (0, 1)] + [JobSpec(seq=2, submit_s=0, procs=2, runtime_s=3,
                                       time_limit_s=60, mem_per_cpu_mb=100)]


@pytest.mark.parametrize("suite", ["bookworm", "trixie"])
def test_components_get_their_shapes_and_start_together(tmp_path: Path, suite: str) -> None:
    require("cluster")
    spec = ClusterSpec(name=per_run_name(f"wlgen-het{suite[0]}"), nodes=2, cpus=4,
                       mem_mb=1024, suite=suite)
    with session_cluster(spec, []) as cluster:
        for client in ("cli", "rest"):
            events = run(cluster, client, tmp_path / client)
            ids = {e["seq"]: e["job_id"] for e in events if e["kind"] == "start"}
            rows = accounted(cluster, [ids[0], ids[1]])
            for seq in (0, 1):
                first, second = rows[f"{ids[seq]}+0"], rows[f"{ids[seq]}+1"]
                # JobID NCPUS NNodes ReqMem Start End State
                assert (first[1], first[2], first[3]) == ("1", "1", "100M"), (client, rows)
                assert (second[1], second[2], second[3]) == ("2", "1", "400M"), (client, rows)
                assert first[4] == second[4] and first[6] == second[6] == "COMPLETED"
                (start,) = [e for e in events if e["seq"] == seq and e["kind"] == "start"]
                assert start["procs"] == 3 and int(start["time"]) == int(first[4])


def run(cluster: Cluster, client: str, out: Path) -> list[dict]:
    backend = make_backend(client=client, cluster=cluster.name)
    try:
        result = run_workload(SPECS, backend, kind="storm", out=out)
    finally:
        backend.close()
    assert result.complete and result.metrics["unaccounted"] == 0, result.metrics
    assert result.metrics["completed"] == 3, result.metrics
    return [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]


def accounted(cluster: Cluster, ids: list[str]) -> dict[str, list[str]]:
    """sacct's rows of these het jobs' components, once every one has ended."""
    def rows() -> dict[str, list[str]] | None:   # accounting lags the queue
        out = cluster.slurm(["env", "SLURM_TIME_FORMAT=%s", "sacct", "-a", "-X", "-P", "-n",
                             "-j", ",".join(ids),
                             "-o", "JobID,NCPUS,NNodes,ReqMem,Start,End,State"])
        got = {r[0]: r for r in (x.split("|") for x in out.splitlines())}
        want = [f"{j}+{i}" for j in ids for i in (0, 1)]
        return got if all(w in got and got[w][5].isdigit() for w in want) else None
    return wait_for(rows, 90, "sacct to hold every component ended")

"""GPUs asked per node on real Slurm 26.05 (the release whose job-wide --gpus could give
fewer than asked across nodes), through sbatch and slurmrestd: a 2-node job of 1 GPU a
node holds one GPU on each node (the run's start event, from squeue --json) and sacct's
AllocTRES has all it asked; a 2-node job of 2 a node gets all 4."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workload.backends.slurm import make_backend
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.run.runner import run_workload
from workload.spec import JobSpec

from tests.clusters import per_run_name, session_cluster
from workload.testing.require import require

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]

# J0 holds one GPU of one node while J1 (1 a node) and J2 (2 a node) are due with it.
SPECS = [JobSpec(seq=0, submit_s=0, procs=1, runtime_s=6, time_limit_s=60, nodes=1, gpus=1,
                 mem_per_cpu_mb=100),
         JobSpec(seq=1, submit_s=0, procs=2, runtime_s=4, time_limit_s=60, nodes=2, gpus=2,
                 gpus_per_node=True, mem_per_cpu_mb=100),
         JobSpec(seq=2, submit_s=0, procs=2, runtime_s=4, time_limit_s=60, nodes=2, gpus=4,
                 gpus_per_node=True, mem_per_cpu_mb=100)]


def test_gpus_per_node_are_given_on_every_node(tmp_path: Path) -> None:
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-gpn"), nodes=2, cpus=4, mem_mb=2048,
                       suite="sid", gpus=2)
    with session_cluster(spec, []) as cluster:
        for client in ("cli", "rest"):
            events = run(cluster, client, tmp_path / client)
            starts = {e["seq"]: e for e in events if e["kind"] == "start"}
            held = starts[1]["gpus"]
            assert sorted(g.split(":")[0] for g in held) == ["n1", "n2"], (client, held)
            assert len(starts[2]["gpus"]) == 4, (client, starts[2])
            tres = allocated(cluster, [starts[1]["job_id"], starts[2]["job_id"]])
            assert tres[starts[1]["job_id"]] == 2 and tres[starts[2]["job_id"]] == 4


def run(cluster: Cluster, client: str, out: Path) -> list[dict]:
    backend = make_backend(client=client, cluster=cluster.name)
    try:
        result = run_workload(SPECS, backend, kind="storm", out=out)
    finally:
        backend.close()
    assert result.complete and result.metrics["completed"] == 3, result.metrics
    return [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]


def allocated(cluster: Cluster, ids: list[str]) -> dict[str, int]:
    """gres/gpu of each job's AllocTRES, once sacct has them all."""
    def gpus() -> dict[str, int] | None:   # accounting lags the queue
        out = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-j", ",".join(ids),
                             "-o", "JobID,AllocTRES"])
        got = {}
        for job, tres in (line.split("|") for line in out.splitlines()):
            counts = [int(t.split("=")[1]) for t in tres.split(",")
                      if t.startswith("gres/gpu=")]
            if counts:
                got[job] = counts[0]
        return got if set(ids) <= set(got) else None
    return wait_for(gpus, 60, "sacct to hold both jobs' GPUs")

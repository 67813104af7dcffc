"""GPU storms on real Slurm 22.05, 24.11 and 26.05 in containers (issue 16).

Each release gets its own fresh cluster (2 nodes x 4 CPUs x 2 GPUs: character devices
/dev/nvidia0-1, no hardware), always brought down. A seeded GPU storm is submitted once
through sbatch and once through slurmrestd; sacct's AllocTRES must give every job the
GPUs it asked for and never more GPUs on a node at once than it has; a job asking for
more GPUs than a node holds is REJECTED before Slurm sees it. Then plain sbatch jobs
report the CUDA_VISIBLE_DEVICES Slurm gave them: two jobs on one node at once never
see the same GPU.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from workload.backends.slurm import make_backend
from workload.checks import PASS, check_no_overcommit
from workload.checks.observed import Observed, load_observed
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.event import REJECTED
from workload.run.runner import run_workload
from workload.sources import StormSource
from workload.spec import JobSpec

from workload.testing.require import require
from tests.clusters import owned_cluster, per_run_name

pytestmark = [pytest.mark.slurm, pytest.mark.podman, pytest.mark.slow]
GPUS = 2
SUITES = ("bookworm", "trixie", "sid")


@pytest.fixture(scope="module", params=SUITES)
def gpu_cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    require("cluster")
    spec = ClusterSpec(name=per_run_name(f"gpu-{request.param[:4]}"), nodes=2, cpus=4,
                       mem_mb=2048, suite=request.param, gpus=GPUS)
    with owned_cluster(spec, before_down=_cancel_all) as cluster:
        yield cluster


def _cancel_all(cluster: Cluster) -> None:
    cluster.exec("ctld", ["scancel", "--user=root"])


def gpu_storm(seed: int) -> list[JobSpec]:
    specs = list(StormSource(14, runtime="2-5", job_gpus="1-2", gpu_share=0.8, seed=seed))
    # One task can use one node only: 3 GPUs is more than any node has.
    return specs + [JobSpec(seq=len(specs), submit_s=0, procs=1, runtime_s=1,
                            time_limit_s=60, gpus=GPUS + 1)]


def sacct_rows(cluster: Cluster, job_ids: set[str]) -> list[dict[str, str]]:
    out = cluster.exec("ctld", ["env", "SLURM_TIME_FORMAT=%s", "sacct", "-X", "-n", "-P",
                                "--format=JobID,AllocTRES,NodeList,Start,End,State"],
                       check=True).stdout.decode()
    keys = ("id", "tres", "nodes", "start", "end", "state")
    rows = [dict(zip(keys, line.split("|"))) for line in out.splitlines() if line]
    return [r for r in rows if r["id"] in job_ids]


def events_as_accounted(obs: Observed) -> dict[str, tuple[float, float, tuple[str, ...]]]:
    """job id -> (start, end, nodes) from the run's start and end events."""
    began = {e.seq: e for e in obs.events if e.kind == "start"}
    return {began[e.seq].job_id: (began[e.seq].time, e.time, began[e.seq].nodes)
            for e in obs.events if e.kind == "end" and e.seq in began}


def gpus_of(tres: str) -> int:
    found = [int(kv.split("=")[1]) for kv in tres.split(",") if kv.startswith("gres/gpu=")]
    return found[0] if found else 0


def never_more_than_a_node_has(rows: list[dict[str, str]]) -> None:
    """Sweep each node's jobs (single-node jobs here) by start and end."""
    points = sorted((float(r[t]), 1 if t == "start" else -1, gpus_of(r["tres"]), r["nodes"])
                    for r in rows for t in ("start", "end"))
    held: dict[str, int] = {}
    for _, sign, gpus, node in sorted(points, key=lambda p: (p[0], p[1])):
        held[node] = held.get(node, 0) + sign * gpus
        assert held[node] <= GPUS, (node, held[node])


@pytest.mark.parametrize("client", ["cli", "rest"])
def test_a_gpu_storm_never_gives_a_gpu_twice(gpu_cluster: Cluster, client: str,
                                             tmp_path: Path) -> None:
    backend = make_backend(client=client, cluster=gpu_cluster.name)
    try:
        assert [n.gpus for n in backend.describe().nodes] == [GPUS, GPUS]
        specs = gpu_storm(seed=len(client))
        result = run_workload(specs, backend, kind="storm", out=tmp_path / "run")
    finally:
        backend.close()
    assert result.complete, result.metrics
    obs = load_observed(result.run_dir)
    ended = {j.seq: j.state for j in obs.jobs}
    assert ended.pop(len(specs) - 1) == REJECTED
    assert set(ended.values()) == {"COMPLETED"}
    # Read back from Slurm's accounting first: the events say what it says (start, end,
    # node: Slurm's own whole seconds), each job got the GPUs its spec asked for, and
    # accounting never holds more GPUs on a node than it has. no_overcommit, run on the
    # events after these, can then fail only by its own fault.
    seq_of = {e.job_id: e.seq for e in obs.events if e.kind == "start"}
    rows = wait_for(lambda: (r := sacct_rows(gpu_cluster, set(seq_of)))
                    and len(r) == len(seq_of) and all(x["end"].isdigit() for x in r) and r,
                    60, "sacct to hold every job of the storm")
    assert events_as_accounted(obs) == {r["id"]: (float(r["start"]), float(r["end"]),
                                                  (r["nodes"],)) for r in rows}
    asked = {seq: s.gpus for seq, s in obs.requests.items()}
    assert {r["id"]: gpus_of(r["tres"]) for r in rows} == {i: asked[s] for i, s in seq_of.items()}
    assert any(gpus_of(r["tres"]) == 2 for r in rows) and any(gpus_of(r["tres"]) == 0
                                                            for r in rows)
    never_more_than_a_node_has(rows)
    check = check_no_overcommit(obs)
    assert check.status == PASS and "GPUs checked" in check.note, check.summary()
    assert 0 < result.metrics["gpu_utilization"] <= 1
    # Where a start event names the GPUs (slurmrestd's gres_detail of a job seen
    # running), it names as many as the job asked for.
    named = [e for e in obs.events if e.kind == "start" and e.gpus]
    assert all(len(e.gpus) == asked[e.seq] for e in named), named


def test_jobs_see_the_gpus_slurm_gave_them(gpu_cluster: Cluster) -> None:
    script = ('echo "$SLURMD_NODENAME $CUDA_VISIBLE_DEVICES $(date +%s.%N)"; sleep 4; '
              'date +%s.%N')
    # Asked as wlgen asks for a 1-task job (per node): with --gpus=2 Slurm 26.05.5 once
    # started the 2-GPU job here with one GPU (CUDA_VISIBLE_DEVICES of one index).
    ids = [gpu_cluster.slurm(["sbatch", "--parsable", f"--gres=gpu:{g}", "-n1",
                              "--output=/tmp/cvd-%j.out", "--wrap", script]).strip()
           for g in (1, 1, 1, 1, 2, 1)]
    wait_for(lambda: not gpu_cluster.slurm(["squeue", "--noheader", "-j", ",".join(ids)]),
             120, "the CUDA_VISIBLE_DEVICES jobs to end")
    seen = []
    for job in ids:
        text = "".join(gpu_cluster.exec(n, ["cat", f"/tmp/cvd-{job}.out"]).stdout.decode()
                       for n in ("n1", "n2"))
        first, last = text.splitlines()
        node, devices, began = first.split()
        seen.append((node, devices.split(","), float(began), float(last)))
    assert [len(d) for _, d, _, _ in seen] == [1, 1, 1, 1, 2, 1]
    assert all(set(d) <= {"0", "1"} for _, d, _, _ in seen)
    for i, (node, devices, began, ended) in enumerate(seen):
        for other, others, b2, e2 in seen[i + 1:]:
            if node == other and began < e2 and b2 < ended:
                assert not set(devices) & set(others), json.dumps(seen)


def test_typed_gpus_are_asked_for_and_accounted_by_type(tmp_path: Path) -> None:
    """--gpus 2:a100 on 22.05: a100 jobs run and sacct keeps their type (what the sacct
    source reads back); an h100 job is refused by Slurm itself, REJECTED with its words."""
    require("cluster")
    spec = ClusterSpec(name=per_run_name("gpu-typed"), nodes=2, cpus=4, mem_mb=2048,
                       gpus=GPUS, gpu_type="a100")
    with owned_cluster(spec, before_down=_cancel_all) as cluster:
        specs = [JobSpec(seq=i, submit_s=0, procs=1, runtime_s=2, time_limit_s=60,
                         gpus=1 + i % 2, gpu_type="a100") for i in range(4)]
        specs.append(JobSpec(seq=4, submit_s=0, procs=1, runtime_s=1, time_limit_s=60,
                             gpus=1, gpu_type="h100"))
        backend = make_backend(client="cli", cluster=cluster.name)
        try:
            assert {(n.gpus, n.gpu_type) for n in backend.describe().nodes} == {(2, "a100")}
            result = run_workload(specs, backend, kind="storm", out=tmp_path / "run")
        finally:
            backend.close()
        states = {j.seq: j.state for j in load_observed(result.run_dir).jobs}
        assert states == {0: "COMPLETED", 1: "COMPLETED", 2: "COMPLETED", 3: "COMPLETED",
                          4: REJECTED}
        def typed() -> list[str] | None:   # accounting lags the queue (seen in CI, loaded)
            out = cluster.slurm(["sacct", "-X", "-n", "-P", "--format=AllocTRES"])
            rows = [line for line in out.splitlines() if "gres/gpu:a100=" in line]
            return rows if len(rows) >= 4 else None
        assert len(wait_for(typed, 60, "sacct to hold the 4 a100 jobs' AllocTRES")) == 4

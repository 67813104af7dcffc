"""A scenario's two partitions and QOS limits on real Slurm 22.05 (issue 15): the
container cluster gets the partitions the simulator schedules (nodes shared,
PriorityTier, MaxTime...) in slurm.conf and the QOS through sacctmgr, and Slurm enforces
MaxJobsPU: of five jobs of a user whose account defaults to a QOS with MaxJobsPU=2, two
run and three pend with reason QOSMaxJobsPerUserLimit while CPUs are free."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.clusters import per_run_name
from workload.cluster import Cluster, session, wait_for
from workload.scenario import load_scenario
from workload.backends.slurm import make_backend
from workload.run.runner import run_workload
from workload.scenario.backend import apply_accounts, cluster_spec, make_scenario_backend
from workload.spec import JobSpec
from workload.testing.require import require

CAP = 2
SCENARIO = {
    "name": "tier-qos-test",
    "cluster": {"cpus": 4, "memory_mb": 2048, "slurm_version": "22.05", "partitions": [
        {"name": "batch", "nodes": 2, "default": True, "PriorityTier": 1},
        {"name": "express", "same_nodes_as": "batch", "PriorityTier": 2, "MaxTime": 30,
         "PriorityJobFactor": 5}]},
    "slurm": {"PriorityType": "priority/basic",
              "AccountingStorageEnforce": "associations,limits,qos"},
    "qos": {"limited": {"MaxJobsPU": CAP, "MaxSubmitPU": 10, "GrpTRES": "cpu=6"}},
    "accounts": {"physics": {"users": ["alice"]},
                 "capped": {"users": ["carol"], "qos": "limited"}},
    "workload": {"kind": "storm", "jobs": 1},
}
pytestmark = [pytest.mark.slurm, pytest.mark.podman, pytest.mark.requires_root,
              pytest.mark.requires_podman]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require("cluster")
    path = Path(tmp_path_factory.mktemp("tq")) / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    scenario = load_scenario(path)
    with session(cluster_spec(scenario, per_run_name("hp-tierqos")), fresh=True,
                 timeout=600) as current:
        apply_accounts(current.cluster, scenario)
        try:
            yield current.cluster
        finally:
            current.cluster.exec("ctld", ["scancel", "--user=carol"], timeout=60)


# Over express's MaxTime (30 min) and within it. With Slurm's default EnforcePartLimits=NO
# the first is accepted and pends with reason PartitionTimeLimit until the limit changes:
# wlgen's watcher cancels it (a run would never end), and the simulator ends it so.
OVER_MAX_TIME = [JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=3600,
                         partition="express"),
                 JobSpec(seq=1, submit_s=0, procs=1, runtime_s=1, time_limit_s=60,
                         partition="express")]


def end_states(run_dir: Path) -> dict[int, tuple[str, str]]:
    events = [json.loads(x) for x in (run_dir / "events.jsonl").read_text().splitlines()]
    return {e["seq"]: (e["state"], e["reason"] if e["state"] == "CANCELLED" else "")
            for e in events if e["kind"] == "end"}


def test_a_job_over_the_partitions_max_time_ends_as_the_simulator_ends_it(
        cluster: Cluster, tmp_path: Path) -> None:
    backend = make_backend(cluster=cluster.name)
    try:
        result = run_workload(OVER_MAX_TIME, backend, kind="storm", out=tmp_path / "slurm")
    finally:
        backend.close()
    assert result.complete and result.metrics["unaccounted"] == 0, result.metrics
    on_slurm = end_states(tmp_path / "slurm")
    assert on_slurm == {0: ("CANCELLED", "PartitionTimeLimit"), 1: ("COMPLETED", "")}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    simulated = make_scenario_backend(load_scenario(path), "sim")
    run_workload(OVER_MAX_TIME, simulated, kind="storm", out=tmp_path / "sim")
    assert end_states(tmp_path / "sim") == on_slurm


def test_both_partitions_share_the_nodes_with_their_settings(cluster: Cluster) -> None:
    express = cluster.slurm(["scontrol", "-o", "show", "partition", "express"])
    for word in ("Nodes=n[1-2]", "PriorityTier=2", "PriorityJobFactor=5", "MaxTime=00:30:00",
                 "Default=NO"):
        assert word in express.split(), express
    batch = cluster.slurm(["scontrol", "-o", "show", "partition", "batch"])
    assert {"Nodes=n[1-2]", "PriorityTier=1", "Default=YES"} <= set(batch.split()), batch
    rows = cluster.slurm(["sinfo", "-h", "-N", "-o", "%N %P"]).split("\n")
    assert sorted(r for r in rows if r) == ["n1 batch*", "n1 express", "n2 batch*",
                                            "n2 express"]


def test_the_qos_has_its_limits_and_is_the_accounts_default(cluster: Cluster) -> None:
    row = cluster.slurm(["sacctmgr", "-nP", "show", "qos", "limited",
                         "format=Name,MaxJobsPU,MaxSubmitPU,GrpTRES"]).strip()
    assert row == f"limited|{CAP}|10|cpu=6"
    assoc = cluster.slurm(["sacctmgr", "-nP", "show", "assoc", "where", "user=carol",
                           "format=Account,User,QOS,DefaultQOS"]).split()
    # Every trace user is also in the cluster's own account wlgen, under normal.
    assert sorted(assoc) == ["capped|carol|limited,normal|limited", "wlgen|carol|normal|"]


def test_max_jobs_per_user_holds_the_rest_pending_with_slurms_reason(
        cluster: Cluster) -> None:
    for _ in range(5):
        done = cluster.exec("ctld", ["runuser", "-u", "carol", "--", "sbatch", "--parsable",
                                     "-A", "capped", "-n1", "-t", "5", "-D", "/tmp",
                                     "-o", "/dev/null", "--wrap",
                                     "sleep 300"], timeout=60)
        assert done.returncode == 0, done.stderr.decode(errors="replace")

    def settled() -> list[str] | None:
        out = cluster.slurm(["squeue", "-h", "-u", "carol", "-o", "%T|%r|%q"])
        rows = sorted(r for r in out.split("\n") if r)
        running = [r for r in rows if r.startswith("RUNNING")]
        judged = all(not r.startswith("PENDING|None") for r in rows)   # scheduler has seen them
        return rows if len(running) == CAP and len(rows) == 5 and judged else None

    rows = wait_for(settled, 180, f"{CAP} of carol's jobs to run, the rest judged")
    # 6 of the 2 x 4 CPUs are free: only the QOS holds the rest.
    assert rows == [*["PENDING|QOSMaxJobsPerUserLimit|limited"] * 3,
                    *["RUNNING|None|limited"] * CAP], rows

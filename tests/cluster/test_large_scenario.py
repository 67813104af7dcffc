"""scenarios/large-cluster.yaml (1,024 nodes): it validates, runs on the simulator with
every job accounted for, maps to a container cluster of 64 containers x 16 slurmd, and
(shrunk to 128 nodes on 8 containers, 400 jobs) runs on real Slurm through the scenario
path with every job accounted for and its invariants passing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.clusters import per_run_name
from workload.checks.result import PASS
from workload.cli.main import cli
from workload.errors import InputError
from workload.scenario import load_scenario, run_scenario
from workload.scenario.backend import cluster_spec
from workload.testing.require import require

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "large-cluster.yaml"
INVARIANTS = ("no_overcommit", "started_after_submit", "within_time_limit", "all_accounted")


def test_the_scenario_validates_as_1024_nodes() -> None:
    scenario = load_scenario(SCENARIO)
    assert len(scenario.cluster.info().nodes) == 1024
    assert scenario.workload.jobs == 5000


def test_on_slurm_it_is_64_containers_of_16_slurmd() -> None:
    spec = cluster_spec(load_scenario(SCENARIO), "h5-scenario")
    assert (spec.nodes, spec.nodes_per_container, spec.containers) == (1024, 16, 64)
    assert spec.node_host("n1024") == "c64"


def test_it_runs_on_the_simulator_with_every_job_accounted_for(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = CliRunner().invoke(cli, ["run", str(SCENARIO), "--backend", "sim",
                                    "--out", str(out)], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["submitted"] == metrics["completed"] == 5000
    assert metrics["unaccounted"] == 0
    checks = json.loads((out / "checks.json").read_text())
    assert {c["name"]: c["status"] for c in checks if c["name"] != "metrics"} == {
        "no_overcommit": "pass", "started_after_submit": "pass",
        "within_time_limit": "pass", "all_accounted": "pass"}
    used = {n for e in map(json.loads, (out / "events.jsonl").open())
            if e["kind"] == "start" for n in e["nodes"]}
    assert len(used) > 200     # jobs spread past what one slurmd a container allows


def test_nodes_per_container_is_a_scenario_key_checked_like_the_option() -> None:
    spec = cluster_spec(load_scenario(SCENARIO, ["cluster.nodes_per_container=8"]), "h")
    assert (spec.nodes, spec.nodes_per_container, spec.containers) == (1024, 8, 128)
    with pytest.raises(InputError, match=r"cluster.nodes_per_container=65: must be <= 64"):
        load_scenario(SCENARIO, ["cluster.nodes_per_container=65"])
    # 1,024 nodes one a container would be 1,024 containers: refused as the option is.
    with pytest.raises(InputError, match=r"cluster.nodes_per_container=1: the container "
                       r"cluster cannot hold it: --nodes must be 1..200, not 1024"):
        cluster_spec(load_scenario(SCENARIO, ["cluster.nodes_per_container=1"]), "h")


SMALL = ["cluster.nodes=128", "cluster.nodes_per_container=16", "workload.jobs=400"]


@pytest.mark.slurm
@pytest.mark.podman
@pytest.mark.requires_root
@pytest.mark.requires_podman
def test_the_scenario_at_128_nodes_runs_on_real_slurm_with_every_job_accounted_for(
        tmp_path: Path) -> None:
    """The scenario's own path on real Slurm (scenario -> 8 containers x 16 slurmd ->
    run -> checks), shrunk to what the test suite can afford; the 1,024-node run is a
    bench (README, large clusters)."""
    require("cluster")
    scenario = load_scenario(SCENARIO, SMALL)
    done = run_scenario(scenario, backend="slurm", out=tmp_path / "run",
                        cluster=per_run_name("hp-large"), fresh=True)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert (metrics["submitted"], metrics["unaccounted"]) == (400, 0), metrics
    assert metrics["completed"] + metrics["timeout"] == 400, metrics
    assert {c.name: c.status for c in done.checks if c.name in INVARIANTS} == {
        name: PASS for name in INVARIANTS}
    cluster = json.loads((tmp_path / "run" / "cluster.json").read_text())
    assert len(cluster["nodes"]) == 128
    used = {n for e in map(json.loads, (tmp_path / "run" / "events.jsonl").open())
            if e["kind"] == "start" for n in e["nodes"]}
    assert used <= {f"n{i}" for i in range(1, 129)}
    assert len(used) > 16      # jobs ran on the slurmd of more than one container

"""scenarios/large-cluster.yaml (1,024 nodes): it validates, runs on the simulator with
every job accounted for, and maps to a container cluster of 64 containers x 16 slurmd."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from workload.cli.main import cli
from workload.scenario import load_scenario
from workload.scenario.backend import cluster_spec

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "large-cluster.yaml"


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

"""Scenario files: bad ones are refused naming file, key path and rule; `wlgen run` exit
codes; requeue on the simulator. (Every shipped one at full size: test_shipped_scenarios.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from workload.checks.result import PASS
from workload.cli.main import cli
from workload.errors import InputError
from workload.event import REQUEUED
from workload.scenario import load_scenario, run_scenario
from workload.scenario.backend import cluster_spec, make_scenario_backend

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_at_least_six_scenarios_ship():
    names = {p.stem for p in SHIPPED}
    assert {"storm-500", "hpc2n-compressed", "backfill-vs-builtin", "fairshare-two-groups",
            "node-failure-requeue", "fabric-alltoall"} <= names


def test_node_failure_requeues_on_the_sim_and_jobrequeue_0_ends_node_fail(tmp_path):
    path = SCENARIOS / "node-failure-requeue.yaml"
    requeued = run_scenario(load_scenario(path), out=tmp_path / "a")
    assert requeued.passed and {c.status for c in requeued.checks} == {PASS}
    assert any(e.state == REQUEUED for e in requeued.observed.events)
    assert requeued.result.metrics["completed"] == 300
    ended = run_scenario(load_scenario(path, ["slurm.JobRequeue=0"]), out=tmp_path / "b")
    assert ended.result.metrics["node_fail"] > 0 and not ended.passed   # node_fail: {eq: 0}


def test_builtin_maps_to_fcfs_and_backfill_to_easy():
    path = SCENARIOS / "backfill-vs-builtin.yaml"
    assert load_scenario(path).slurm.policy == "easy"
    assert load_scenario(path, ["slurm.SchedulerType=sched/builtin"]).slurm.policy == "fcfs"


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


STORM = {"kind": "storm", "jobs": 5}


@pytest.mark.parametrize("data, key, rule", [
    ({"workload": STORM, "cluster": {"nodes": 0}}, "cluster.nodes=0", "must be >= 1"),
    ({"workload": STORM, "cluster": {"nodez": 2}}, "cluster.nodez=2", "unknown key"),
    ({"workload": {"kind": "storms"}}, "workload.kind='storms'", "must be one of"),
    ({"workload": {**STORM, "rate": "fast"}}, "workload.rate='fast'", "finite number"),
    ({"workload": {"kind": "replay", "trace": "nope.swf"}}, "workload.trace", "no such file"),
    ({"workload": STORM, "slurm": {"SchedulerType": "sched/fifo"}},
     "slurm.SchedulerType='sched/fifo'", "sched/backfill, sched/builtin"),
    ({"workload": STORM, "slurm": {"ClusterName": "x"}}, "slurm.ClusterName", "cluster section"),
    ({"workload": STORM, "faults": [{"at_s": 5, "action": "node_down", "node": "n99"}]},
     "faults.0.node='n99'", "no such node (the cluster has n1..n8)"),
    ({"workload": STORM, "faults": [{"at_s": 5, "action": "node_down"}]}, "faults.0",
     "node_down needs node"),
    ({"workload": STORM, "checks": {"invariants": ["no_overcomit"]}}, "checks.invariants.0",
     "unknown invariant"),
    ({"workload": STORM, "checks": {"invariants": [{"priority_order": {"tol": 1}}]}},
     "checks.invariants.0.priority_order", "unknown option(s) tol"),
    ({"workload": STORM, "checks": {"metrics": {"wait_mean_s": {"under": 5}}}},
     "checks.metrics.wait_mean_s.under", "unknown key"),
    ({"workload": {**STORM, "payload": {"kernel": "alltoall", "args": ["--seconds", "3"]}}},
     "workload.payload", "--seconds"),
    ({"workload": STORM, "cluster": {"nodes": 3, "partitions": [{"name": "a", "nodes": 2}]}},
     "cluster.partitions", "partitions have 2 nodes but cluster.nodes is 3"),
    ({"cluster": {"nodes": 2}}, "(top level)", "missing required key 'workload'"),
])
def test_bad_scenarios_name_file_key_and_rule(tmp_path, data, key, rule):
    path = write(tmp_path, data)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{path}: field {key}")
    assert rule in message


def test_set_overrides_apply_before_validation(tmp_path):
    path = write(tmp_path, {"workload": STORM, "faults": [
        {"at_s": 5, "action": "node_down", "node": "n1"}]})
    scenario = load_scenario(path, ["workload.jobs=7", "faults.0.at_s=9", "cluster.cpus=4"])
    assert scenario.workload.jobs == 7 and scenario.faults[0].at_s == 9
    assert scenario.cluster.partitions[0].cpus == 4
    with pytest.raises(InputError, match="'3' is not an index of a list of 1"):
        load_scenario(path, ["faults.3.at_s=1"])
    with pytest.raises(InputError, match="KEY=VALUE"):
        load_scenario(path, ["workload.jobs"])


def test_a_fault_the_sim_cannot_do_is_refused_unless_skipped(tmp_path):
    fault = {"at_s": 5, "action": "slow_node", "node": "n1", "factor": 2}
    scenario = load_scenario(write(tmp_path, {"workload": STORM, "faults": [fault]}))
    with pytest.raises(InputError, match="faults.0.*slow_node cannot run on the simulator: "
                                         "the simulator's job run times are fixed"):
        make_scenario_backend(scenario, "sim")
    fault["on_sim"] = "skip"
    scenario = load_scenario(write(tmp_path, {"workload": STORM, "faults": [fault]}))
    assert make_scenario_backend(scenario, "sim").faults == ()


def test_the_slurm_seam_builds_the_container_cluster_spec():
    scenario = load_scenario(SCENARIOS / "storm-500.yaml")
    spec = cluster_spec(scenario)
    assert (spec.nodes, spec.cpus, spec.mem_mb, spec.suite) == (8, 32, 64000, "bookworm")
    assert spec.conf_extra == ("SchedulerType=sched/backfill\n"
                               "SchedulerParameters=bf_interval=5,bf_max_job_test=500\n"
                               "PriorityWeightFairshare=0\n")
    with pytest.raises(InputError, match="the container cluster's nodes have one shape"):
        cluster_spec(load_scenario(SCENARIOS / "storm-500.yaml", [
            "cluster.partitions=[{name: a, nodes: 4}, {name: b, nodes: 4, cpus: 8}]"]))


def test_what_the_container_cluster_cannot_run_is_refused_with_the_key_at_fault():
    storm = SCENARIOS / "storm-500.yaml"
    with pytest.raises(InputError, match="cluster.partitions='gpu'.*nodes have one shape"):
        cluster_spec(load_scenario(storm, ["cluster.partitions=[{name: a, nodes: 4}, "
                                           "{name: gpu, nodes: 4, gpus: 2}]"]))
    with pytest.raises(InputError, match="cluster.fabric.topology='torus': torus is not built"):
        cluster_spec(load_scenario(storm, ["cluster.fabric={topology: torus}"]))
    fabric = cluster_spec(load_scenario(SCENARIOS / "fabric-alltoall.yaml"))
    assert (fabric.nodes, fabric.cpus) == (16, 8)
    with pytest.raises(InputError, match="use scenario_backend"):
        make_scenario_backend(load_scenario(storm), "slurm")


@pytest.fixture
def wlgen():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_wlgen_run_exit_codes_and_json(wlgen, tmp_path):
    path = str(SCENARIOS / "node-failure-requeue.yaml")
    ok = wlgen("run", path, "--set", "workload.jobs=30", "--out", str(tmp_path / "a"), "--json")
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["passed"] and data["metrics"]["submitted"] == 30
    assert {c["name"] for c in data["checks"]} >= {"no_overcommit", "metrics"}
    assert "slurmctld_restart skipped on the simulator" in ok.stderr
    failed = wlgen("run", path, "--set", "checks.metrics.wait_mean_s.max=0",
                   "--out", str(tmp_path / "b"))
    assert failed.exit_code == 1 and "FAIL metrics" in failed.stderr
    bad = wlgen("run", path, "--set", "cluster.nodes=-1")
    assert bad.exit_code == 2 and "field cluster.nodes=-1: must be >= 1" in bad.stderr


def test_a_scenario_into_a_used_out_is_refused_before_its_cluster(tmp_path, monkeypatch):
    import workload.scenario.runner as runner
    path = SCENARIOS / "storm-500.yaml"
    out = tmp_path / "r"
    run_scenario(load_scenario(path, ["workload.jobs=10"]), out=out)

    def no_cluster(*args, **kwargs):
        raise AssertionError("a backend was made for a run that cannot be written")
    monkeypatch.setattr(runner, "scenario_backend", no_cluster)
    with pytest.raises(InputError, match="--out is not empty"):
        run_scenario(load_scenario(path, ["workload.jobs=10"]), out=out)
    monkeypatch.undo()
    again = run_scenario(load_scenario(path, ["workload.jobs=10"]), out=out, force=True)
    assert again.result.metrics["submitted"] == 10

"""A scenario's slurm, partitions, QOS and accounts reach the simulator's Slurm mode."""

from __future__ import annotations

import json

import pytest

from workload.errors import InputError
from workload.scenario.backend import sim_notes
from workload.scenario.load import load_scenario
from workload.scenario.runner import run_scenario

SCENARIO = """
name: tiers
cluster:
  cpus: 4
  slurm_version: "24.11"
  partitions:
    - {name: low, nodes: 1, default: true}
    - {name: high, same_nodes_as: low, PriorityTier: 2}
slurm:
  SchedulerType: sched/builtin
  PriorityWeightQOS: 1000
  PriorityWeightFairshare: 0
  PriorityWeightAge: 0
  AccountingStorageEnforce: limits,qos
  PreemptType: preempt/none
qos:
  normal: {}
  fast: {Priority: 100, MaxJobsPU: 5}
accounts:
  science: {fairshare: 2, users: []}
  physics: {fairshare: 1, users: [u1], parent: science, qos: fast}
workload:
  kind: storm
  jobs: 3
  rate: 1
  size: "4"
  runtime: "600"
checks:
  invariants: [no_overcommit, all_accounted]
"""


def test_a_scenario_runs_in_slurm_mode_with_its_settings(tmp_path):
    # Three 4-CPU jobs of u1 (QOS fast through physics) on one 4-CPU node, one a
    # second: they run one after another, 600 s each, with priority 1000 (QOS factor
    # 100/100 x 1000). PreemptType is not modelled: named in the notes and settings.json.
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    assert scenario.slurm_config().get("PriorityType") == "priority/multifactor"
    assert any("PreemptType" in note for note in sim_notes(scenario))
    done = run_scenario(scenario, out=tmp_path / "run")
    assert done.passed
    events = [json.loads(line) for line in (done.result.run_dir / "events.jsonl").open()]
    starts = sorted(e["time"] - events[0]["time"] for e in events if e["kind"] == "start")
    assert starts == [0, 600, 1200]
    assert {e["priority"] for e in events if e["kind"] == "start"} == {1000}
    settings = json.loads((done.result.run_dir / "settings.json").read_text())
    assert settings["sim_ignored"] == ["PreemptType"]


def test_accounts_with_a_missing_parent_are_refused(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("parent: science", "parent: nowhere"))
    with pytest.raises(InputError, match="parent 'nowhere'"):
        load_scenario(path)


def test_a_qos_limit_must_be_cpu(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("MaxJobsPU: 5", "GrpTRES: mem=5"))
    with pytest.raises(InputError, match="GrpTRES must be cpu=N"):
        load_scenario(path)

"""A scenario's partitions and QOS on the container cluster, rendered from the one
SlurmConfig the simulator reads (issue 15): the PartitionName lines of slurm.conf and
sacctmgr's QOS words. No cluster needed; tests/cluster/test_qos_partitions.py runs them
on real Slurm."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from workload.cluster.config import ClusterSpec, render_slurm_conf
from workload.errors import ClusterShapeError, InputError
from workload.scenario import load_scenario
from workload.scenario.backend import cluster_spec
from workload.slurmconf import PartitionConf, QosConf
from workload.slurmconf.render import node_range, partition_line, qos_words

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TIER_QOS = SCENARIOS / "validate" / "partitions-tier-qos.yaml"
DEFAULT_LINE = "PartitionName=batch Nodes=ALL Default=YES MaxTime=INFINITE State=UP"


def write(tmp_path: Path, cluster: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"cluster": cluster, "slurm": {"PriorityType":
                                    "priority/basic"}, "workload": {"kind": "storm",
                                                                    "jobs": 2}}))
    return path


def test_two_partitions_sharing_nodes_render_with_their_tiers():
    spec = cluster_spec(load_scenario(TIER_QOS), "tq")
    conf = render_slurm_conf(spec)
    assert (spec.nodes, spec.cpus, spec.mem_mb) == (8, 8, 16000)
    assert spec.partitions.splitlines() == [
        "PartitionName=batch Nodes=n[1-8] Default=YES PriorityTier=1 PriorityJobFactor=1 "
        "MaxTime=INFINITE State=UP",
        "PartitionName=express Nodes=n[1-8] Default=NO PriorityTier=2 PriorityJobFactor=1 "
        "MaxTime=INFINITE State=UP"]
    assert DEFAULT_LINE not in conf
    assert conf.count("PartitionName=") == 2
    # The enforcement the QOS limits need goes to slurm.conf with the other overrides.
    assert "AccountingStorageEnforce=associations,limits,qos\n" in conf


def test_partitions_with_own_nodes_get_consecutive_ranges_and_every_setting(tmp_path):
    scenario = load_scenario(write(tmp_path, {"cpus": 4, "memory_mb": 4000, "partitions": [
        {"name": "short", "nodes": 3, "MaxTime": "1:30", "DefaultTime": "0:30",
         "MaxNodes": 2, "PriorityJobFactor": 10},
        {"name": "long", "nodes": 5, "default": True, "MaxTime": "2-00:00:00"}]}))
    lines = cluster_spec(scenario).partitions.splitlines()
    # MaxTime rounds down (a 2-minute limit exceeds 90 s on both backends), DefaultTime
    # up (it becomes a limit, which the simulator rounds up to whole minutes).
    assert lines == [
        "PartitionName=short Nodes=n[1-3] Default=NO PriorityTier=1 PriorityJobFactor=10 "
        "MaxTime=1 DefaultTime=1 MaxNodes=2 State=UP",
        "PartitionName=long Nodes=n[4-8] Default=YES PriorityTier=1 PriorityJobFactor=1 "
        "MaxTime=2880 State=UP"]
    info = scenario.cluster.info()       # the simulator's nodes are the same ones
    assert [n.name for n in info.nodes if "short" in n.partitions] == ["n1", "n2", "n3"]


def test_the_one_default_batch_partition_keeps_the_clusters_own_line():
    spec = cluster_spec(load_scenario(SCENARIOS / "storm-500.yaml"))
    assert spec.partitions == ""
    assert DEFAULT_LINE in render_slurm_conf(spec)


def test_partitions_of_different_node_shapes_are_refused_with_the_key(tmp_path):
    scenario = load_scenario(write(tmp_path, {"cpus": 4, "partitions": [
        {"name": "a", "nodes": 2}, {"name": "b", "nodes": 2, "cpus": 8}]}))
    with pytest.raises(InputError, match=r"cluster.partitions='b'.*nodes have one shape"):
        cluster_spec(scenario)


def test_qos_words_carry_every_limit_the_simulator_enforces():
    limited = QosConf("limited", priority=10, max_wall_s=90 * 60, max_jobs_pu=3,
                      max_submit_pu=5, grp_cpus=16)
    assert qos_words(limited) == ["Priority=10", "MaxWall=90", "MaxJobsPerUser=3",
                                  "MaxSubmitJobsPerUser=5", "GrpTRES=cpu=16"]
    assert qos_words(QosConf("plain")) == ["Priority=0"]
    assert qos_words(QosConf("short", max_wall_s=150)) == ["Priority=0", "MaxWall=2"]


def test_the_tier_qos_scenarios_qos_is_the_one_rendered():
    assert [qos_words(q) for q in load_scenario(TIER_QOS).qos] == [
        ["Priority=0", "MaxJobsPerUser=3"]]


def test_hostlists_and_unlimited_times():
    assert (node_range(3, 1), node_range(1, 8)) == ("n3", "n[1-8]")
    line = partition_line(PartitionConf("p", max_time_s=math.inf), "n1", default=True)
    assert "MaxTime=INFINITE" in line and "DefaultTime" not in line


def test_a_spec_takes_only_partition_lines():
    with pytest.raises(ClusterShapeError, match="only PartitionName lines"):
        ClusterSpec(partitions="PartitionName=a Nodes=ALL\nSlurmctldHost=evil\n")
    with pytest.raises(InputError, match="control character|NUL or CR"):
        ClusterSpec(partitions="PartitionName=a Nodes=ALL\r\n")

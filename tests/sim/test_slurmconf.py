"""SlurmConfig: Slurm's defaults per release, the container's own settings, checked
values, conf-extra merging, and what the simulator names as not modelled."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.backends.sim.slurm import ignored
from workload.errors import InputError
from workload.scenario.cluster import parse_cluster
from workload.scenario.schema import Key
from workload.scenario.slurmconf import parse_slurm
from workload.slurmconf import SlurmConfig, minutes_text_to_s


def test_release_defaults_differ_where_slurm_changed_them():
    # PriorityType became priority/multifactor by default in 23.11.
    assert SlurmConfig(release="22.05").get("PriorityType") == "priority/basic"
    assert SlurmConfig(release="24.11").get("PriorityType") == "priority/multifactor"
    conf = SlurmConfig(release="26.05")
    assert (conf.sched("bf_interval"), conf.sched("bf_max_job_test"), conf.sched("bf_window"),
            conf.sched("bf_resolution"), conf.sched("default_queue_depth"),
            conf.sched("sched_interval"), conf.sched("batch_sched_delay")) == \
        (30, 500, 1440, 60, 100, 60, 3)
    assert conf.time_s("PriorityMaxAge") == conf.time_s("PriorityDecayHalfLife") == 7 * 86400
    assert conf.time_s("PriorityCalcPeriod") == 300


def test_the_container_clusters_settings_sit_on_the_release_defaults():
    conf = SlurmConfig.container("22.05")
    assert conf.get("PriorityType") == "priority/multifactor"
    assert conf.sched("bf_interval") == 5 and conf.sched("batch_sched_delay") == 0
    assert conf.get("PriorityWeightFairshare") == "10000"


def test_merging_replaces_keys_merges_option_lists_and_adds_repeatable_lines():
    conf = SlurmConfig.container("24.11").merged(
        "SchedulerParameters=bf_window=60\npriorityweightage=5\nPartitionName=x Nodes=ALL\n"
        "PartitionName=y Nodes=ALL")
    assert conf.get("SchedulerParameters") == "batch_sched_delay=0,bf_interval=5,bf_window=60"
    assert conf.get("PriorityWeightAge") == "5"           # keys are case-insensitive
    assert [k for k, _ in conf.lines] == ["PartitionName", "PartitionName"]


@pytest.mark.parametrize("value", ["bf_interval=5\nSlurmctldHost=evil", "5\r", "a\x00b",
                                   "x\x1bY"])
def test_control_characters_never_reach_a_config_file(value):
    with pytest.raises(InputError, match="control character"):
        SlurmConfig().assign("SchedulerParameters", value)


def test_a_scenario_slurm_value_with_a_newline_is_refused_naming_the_key():
    # issue 14 item 6: this value rendered a second line, SlurmctldHost=evil.
    key = Key({"SchedulerParameters": "bf_interval=5\nSlurmctldHost=evil"}, "slurm", "s.yaml")
    with pytest.raises(InputError) as err:
        parse_slurm(key, None, Path("."))
    assert "s.yaml" in str(err.value) and "slurm.SchedulerParameters" in str(err.value)
    assert "control character" in str(err.value)


def test_slurm_times():
    assert [minutes_text_to_s(t) for t in ("5", "1:30", "1:00:00", "2-0", "1-2:3", "1-0:0:5")] == \
        [300, 90, 3600, 172800, 93780, 86405]
    assert minutes_text_to_s("UNLIMITED") == float("inf")
    with pytest.raises(InputError):
        minutes_text_to_s("soon")


def test_what_the_simulator_does_not_model_is_named():
    conf = SlurmConfig.container("24.11").merged(
        "PreemptType=preempt/qos\nSchedulerParameters=bf_busy_nodes,bf_window=60\n"
        "PriorityFlags=NO_FAIR_TREE,CALCULATE_RUNNING\nPriorityWeightAge=5\n"
        "PartitionName=debug Nodes=n1\nPriorityWeightAssoc=10")
    # Associations carry no Priority in the simulator: the weight would weigh nothing.
    assert ignored(conf) == ["PreemptType", "PriorityWeightAssoc",
                             "SchedulerParameters bf_busy_nodes",
                             "PriorityFlags CALCULATE_RUNNING", "PartitionName line (debug)"]
    assert ignored(SlurmConfig.container("24.11")) == []


def test_scenario_partitions_share_nodes_and_carry_slurm_settings():
    cluster = parse_cluster(Key({"cpus": 4, "partitions": [
        {"name": "batch", "nodes": 2},
        {"name": "high", "same_nodes_as": "batch", "PriorityTier": 2, "MaxTime": "1:00:00",
         "DefaultTime": 10, "MaxNodes": 1}]}, "cluster", "s.yaml"))
    info = cluster.info()
    assert [n.partitions for n in info.nodes] == [("batch", "high"), ("batch", "high")]
    high = cluster.partition_confs()[1]
    assert (high.priority_tier, high.max_time_s, high.default_time_s, high.max_nodes) == \
        (2, 3600, 600, 1)
    with pytest.raises(InputError, match="same_nodes_as"):
        parse_cluster(Key({"partitions": [{"name": "a", "nodes": 1},
                                          {"name": "b", "same_nodes_as": "c"}]}, "cluster", "s"))

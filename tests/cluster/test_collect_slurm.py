"""The scheduler layer's parsers against stored real outputs of sdiag, squeue and sinfo
(tests/data/sdiag, how they were made in its README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.cluster.collect.sdiag import parse_sdiag
from workload.cluster.collect.slurmstate import (
    ALLOCATED, DOWN, IDLE, MIXED, node_metrics, node_state, partition_metrics, split_outputs,
    state_counts)

DATA = Path(__file__).parents[1] / "data" / "sdiag"
RELEASES = ("22.05", "24.11", "26.05")


def read(name: str) -> str:
    return (DATA / name).read_text()


# release -> (server threads, main last/mean, backfill last/mean/backfilled, pending, running)
EXPECTED = {
    "22.05": (3, 372, 821, 446, 596, 2, 1, 0),
    "24.11": (1, 441, 501, 793, 793, 1, 0, 3),
    "26.05": (1, 677, 1095, 133, 275, 1, 0, 0),
}


@pytest.mark.parametrize("release", RELEASES)
def test_each_release_reads_its_own_numbers(release):
    m = parse_sdiag(read(f"{release}.txt"))
    got = tuple(int(m[k]) for k in (
        "server_threads", "main.last_cycle_us", "main.mean_cycle_us", "backfill.last_cycle_us",
        "backfill.mean_cycle_us", "backfill.backfilled_jobs", "jobs_pending", "jobs_running"))
    assert got == EXPECTED[release]
    assert (m["jobs_submitted"], m["jobs_started"], m["jobs_completed"], m["jobs_failed"],
            m["agent_queue_size"], m["backfill.depth_mean"]) == (8, 8, 7, 0, 0, 1)


def test_same_label_in_two_sections_is_kept_apart():
    """"Last cycle", "Max cycle", "Total cycles" are in both the main and the backfill
    section; and the exit sections' "End of job queue" counts are not cycle counts."""
    m = parse_sdiag(read("26.05.txt"))
    assert (m["main.max_cycle_us"], m["backfill.max_cycle_us"]) == (4121, 418)
    assert (m["main.cycles"], m["backfill.cycles"]) == (10, 2)


def test_top_rpcs_by_count_with_their_times():
    m = parse_sdiag(read("22.05.txt"), top_rpcs=2)
    rpcs = {k for k in m if k.startswith("rpc.")}
    assert rpcs == {f"rpc.{t}.{f}" for t in ("REQUEST_SUBMIT_BATCH_JOB",
                                             "REQUEST_COMPLETE_BATCH_SCRIPT")
                    for f in ("count", "ave_time_us", "total_time_us")}
    assert (m["rpc.REQUEST_SUBMIT_BATCH_JOB.count"],
            m["rpc.REQUEST_SUBMIT_BATCH_JOB.total_time_us"]) == (8, 43998)
    # per-user RPC lines ("root ( 0) count:...") are not message types
    assert not any("root" in k for k in parse_sdiag(read("22.05.txt")))


def test_a_mean_slurm_did_not_print_stays_absent():
    """Before the first backfill cycle sdiag prints no mean: absent, never a made-up 0."""
    text = "\n".join(line for line in read("24.11.txt").splitlines()
                     if "Mean cycle" not in line)
    m = parse_sdiag(text)
    assert "backfill.mean_cycle_us" not in m and "main.mean_cycle_us" not in m
    assert m["backfill.last_cycle_us"] == 793


def test_text_that_is_not_sdiag_is_an_error():
    with pytest.raises(ValueError, match="Server thread count"):
        parse_sdiag("sdiag: error: Unable to contact slurm controller (connect failure)\n")


def test_the_one_exec_splits_into_its_three_outputs():
    sdiag, squeue, sinfo = split_outputs(read("collect-22.05.txt"))
    assert parse_sdiag(sdiag)["server_threads"] == 3
    assert squeue.splitlines() == ["batch|PENDING|4|", "batch|RUNNING|1|n1"]
    assert sinfo.splitlines()[0] == "n1|batch*|mixed|1/1/0/2"
    with pytest.raises(ValueError, match="expected 3 outputs"):
        split_outputs(sdiag)


@pytest.mark.parametrize("name,idle", [("collect-22.05.txt", 3), ("collect-24.11-drained.txt", 1),
                                       ("collect-26.05-down.txt", 1)])
def test_partition_jobs_and_cpus(name, idle):
    _, squeue, sinfo = split_outputs(read(name))
    assert partition_metrics(squeue, sinfo) == {
        "partition.batch.pending": 1, "partition.batch.running": 1,
        "partition.batch.cpus_alloc": 1, "partition.batch.cpus_idle": idle}


@pytest.mark.parametrize("name,n2,drain,lost", [
    ("collect-22.05.txt", IDLE, 0, 0),
    ("collect-24.11-drained.txt", IDLE, 1, 0),
    ("collect-26.05-down.txt", DOWN, 0, 0),
    ("collect-26.05-not-responding.txt", DOWN, 0, 1),
])
def test_node_state_as_a_number_with_its_flags(name, n2, drain, lost):
    _, squeue, sinfo = split_outputs(read(name))
    m = node_metrics(squeue, sinfo)
    assert (m["node.n1.state"], m["node.n1.jobs_running"]) == (MIXED, 1)
    assert (m["node.n2.state"], m["node.n2.drain"], m["node.n2.not_responding"],
            m["node.n2.jobs_running"]) == (n2, drain, lost, 0)


def test_state_counts_count_each_node_once():
    _, _, sinfo = split_outputs(read("collect-26.05-down.txt"))
    counts = state_counts(sinfo)
    assert (counts["nodes.mixed"], counts["nodes.down"], counts["nodes.idle"]) == (1, 1, 0)
    assert sum(counts.values()) == 2


@pytest.mark.parametrize("text,state,drain,lost", [
    ("allocated", ALLOCATED, False, False), ("draining", ALLOCATED, True, False),
    ("down*", DOWN, False, True), ("idle~", IDLE, False, False),
    ("mixed+drain", MIXED, True, False), ("completing", ALLOCATED, False, False),
])
def test_sinfo_long_states(text, state, drain, lost):
    seen = node_state(text)
    assert (seen.state, seen.drain, seen.not_responding) == (state, drain, lost)


def test_an_unknown_state_is_an_error_not_a_zero():
    with pytest.raises(ValueError, match="unknown Slurm node state 'sleepy'"):
        node_state("sleepy")


def test_jobs_running_expands_the_nodelist():
    squeue = "batch|RUNNING|4|n[1-2]\nbatch|RUNNING|1|n2\nbatch|PENDING|2|\n"
    sinfo = "n1|batch*|allocated|2/0/0/2\nn2|batch*|allocated|2/0/0/2\n"
    m = node_metrics(squeue, sinfo)
    assert (m["node.n1.jobs_running"], m["node.n2.jobs_running"]) == (1, 2)

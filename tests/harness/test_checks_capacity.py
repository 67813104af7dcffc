"""no_overcommit and all_accounted on hand-made schedules (must fail) and real runs."""

from __future__ import annotations

from workload.checks import FAIL, PASS, Observed, check_all_accounted, check_no_overcommit
from workload.event import END, PENDING, START, SUBMIT, Event
from workload.sources import StormSource
from workload.testing import (Row, assert_all_accounted, assert_no_overcommit, hand_cluster,
                              observed_from_rows)


def test_two_jobs_on_one_node_over_its_cpus_fail_with_both_named():
    obs = observed_from_rows([Row(0, 0, 0, 10, procs=3), Row(1, 0, 5, 15, procs=3)],
                             hand_cluster(1, 4))
    result = check_no_overcommit(obs)
    assert result.status == FAIL and result.failures == 2   # node n1, and partition batch
    node = result.violations[0]
    assert (node["seq"], node["time"], node["node"]) == (1, 5, "n1")
    assert node["sharing_with"] == [0] and "6 CPUs of 4" in node["problem"]


def test_a_job_starting_when_another_ends_is_not_an_overlap():
    obs = observed_from_rows([Row(0, 0, 0, 10, procs=4), Row(1, 0, 10, 20, procs=4)],
                             hand_cluster(1, 4))
    assert check_no_overcommit(obs).status == PASS


def test_memory_is_checked_when_requested():
    rows = [Row(0, 0, 0, 10, procs=2, mem_per_cpu_mb=15_000),
            Row(1, 0, 1, 10, procs=2, mem_per_cpu_mb=15_000)]
    result = check_no_overcommit(observed_from_rows(rows, hand_cluster(1, 8, mem_mb=64_000)))
    assert result.status == PASS and result.note == "memory checked"
    result = check_no_overcommit(observed_from_rows(rows, hand_cluster(1, 8, mem_mb=35_000)))
    assert result.status == FAIL and "60000 MB of 35000" in result.violations[0]["problem"]


def test_a_multi_node_job_larger_than_its_nodes_fails():
    obs = observed_from_rows([Row(0, 0, 0, 10, procs=9, nodes=("n1", "n2"))], hand_cluster(2, 4))
    result = check_no_overcommit(obs)
    assert result.status == FAIL
    assert result.violations[0]["problem"] == "9 tasks on nodes n1,n2"


def test_multi_node_lower_bounds_catch_a_crowded_node():
    # J0: 7 tasks on n1+n2 (4 CPUs each) holds >= 3 on each; J1 puts 2 more on n1: 5 > 4.
    rows = [Row(0, 0, 0, 10, procs=7, nodes=("n1", "n2")), Row(1, 0, 1, 10, procs=2)]
    result = check_no_overcommit(observed_from_rows(rows, hand_cluster(2, 4)))
    assert result.status == FAIL and result.violations[0]["node"] == "n1"


def test_a_simulated_storm_never_overcommits(wlgen_run):
    obs = wlgen_run(StormSource(300, size="pow2:1-16", runtime="5-50", seed=3), nodes=4, cpus=8)
    result = assert_no_overcommit(obs)
    assert result.checked == 300
    assert_all_accounted(obs)


def test_lost_and_doubled_jobs_are_counted_against_accounting():
    ev = [Event(SUBMIT, 0, 0, "a", PENDING), Event(SUBMIT, 0, 1, "b", PENDING),
          Event(START, 1, 1, "b", "RUNNING"), Event(END, 2, 1, "b", "COMPLETED"),
          Event(START, 3, 1, "b", "RUNNING"), Event(END, 4, 2, "c", "RUNNING")]
    result = check_all_accounted(Observed(ev, hand_cluster()))
    problems = {(v.get("seq"), v["problem"]) for v in result.violations}
    assert (0, "never ended (unaccounted)") in problems
    assert (1, "started after its end at 2.000") in problems
    assert (2, "ended in a state that is not final") in problems
    assert (2, "ended without a submit") in problems
    assert result.status == FAIL

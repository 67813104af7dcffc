"""Submit, begin, time limit and dependency checks: hand-made failures, simulated passes."""

from __future__ import annotations

import pytest

from workload.checks import (FAIL, PASS, check_dependencies, check_started_after_submit,
                             check_within_time_limit)
from workload.event import COMPLETED, TIMEOUT
from workload.spec import JobSpec
from workload.testing import (Row, assert_dependencies, assert_within_time_limit,
                              observed_from_rows)


def test_a_start_before_submit_fails_and_tolerance_absorbs_clock_skew():
    obs = observed_from_rows([Row(0, 10, 9.5, 20), Row(1, 10, 11, 20)])
    result = check_started_after_submit(obs)
    assert result.status == FAIL and result.checked == 2
    assert result.violations == [{"seq": 0, "job_id": "j0", "submit": 10, "start": 9.5,
                                  "early_by_s": 0.5}]
    assert check_started_after_submit(obs, tolerance_s=1.0).status == PASS


def test_running_past_the_limit_fails():
    obs = observed_from_rows([Row(0, 0, 0, 50, limit=30), Row(1, 0, 0, 30, limit=30)])
    result = check_within_time_limit(obs)
    assert result.failures == 1 and result.violations[0]["seq"] == 0
    assert result.violations[0]["ran_s"] == 50 and result.violations[0]["limit_s"] == 30
    assert check_within_time_limit(obs, tolerance_s=20).status == PASS


def test_a_timeout_before_the_limit_fails():
    obs = observed_from_rows([Row(0, 0, 0, 20, limit=30, state=TIMEOUT)])
    result = check_within_time_limit(obs)
    assert result.status == FAIL and result.violations[0]["problem"] == "TIMEOUT before its limit"


def test_the_simulator_kills_at_the_limit(wlgen_run):
    specs = [JobSpec(seq=i, submit_s=i, procs=1, runtime_s=50 + i, time_limit_s=30 + i)
             for i in range(5)]
    obs = wlgen_run(specs, nodes=1, cpus=2)
    assert [j.state for j in obs.jobs] == [TIMEOUT] * 5
    assert assert_within_time_limit(obs).checked == 5


def test_kills_at_the_limit_pass_on_the_float_grid_of_unix_times(wlgen_run):
    # Times are epoch + t: at a 2026 epoch one float step is 2.4e-7 s, so a job killed at
    # exactly 3.2 s read as ran_s=3.2000002 and failed at tolerance 0 (50 of 50).
    from workload.sources import StormSource
    obs = wlgen_run(StormSource(50, runtime="10", time_limit_s=3.2), nodes=1, cpus=1)
    assert [j.state for j in obs.jobs] == [TIMEOUT] * 50
    result = check_within_time_limit(obs)
    assert result.status == PASS and result.checked == 50


def test_a_kill_one_millisecond_late_still_fails_at_unix_times():
    epoch = 1_767_225_600.0
    obs = observed_from_rows([Row(0, epoch, epoch + 1.0, epoch + 4.201, limit=3.2),
                              Row(1, epoch, epoch + 1.0, epoch + 4.2, limit=3.2)])
    result = check_within_time_limit(obs)
    assert result.status == FAIL and [v["seq"] for v in result.violations] == [0]


def test_a_dependant_that_starts_before_its_predecessor_ends_fails():
    rows = [Row(0, 0, 0, 10), Row(1, 0, 5, 15, preceding=0), Row(2, 0, 10, 20, preceding=0)]
    result = check_dependencies(observed_from_rows(rows))
    assert result.checked == 2 and result.failures == 1
    assert result.violations[0] == {"seq": 1, "job_id": "j1", "start": 5, "kind": "afterany",
                                    "depends_on": 0, "dependency_end": 10,
                                    "dependency_state": COMPLETED,
                                    "rule": "started before its parent ended"}


def _with_depends(rows, depends):
    """Rows as observed, seq -> ((kind, (parent seq, ...)), ...) as their requests'
    dependencies (source ids are seq + 1, as row_request numbers them)."""
    from dataclasses import replace

    from workload.checks.observed import Observed
    from workload.testing.handmade import hand_cluster, row_events, row_request
    requests = {r.seq: replace(row_request(r), depends=tuple(
        (kind, tuple(p + 1 for p in parents)) for kind, parents in depends.get(r.seq, ())))
        for r in rows}
    return Observed(row_events(rows), hand_cluster(), requests)


@pytest.mark.parametrize("kind, parent_state, child_start, rule", [
    ("afterok", COMPLETED, 10, ""),
    ("afterok", "FAILED", 10, "ran although its parent ended FAILED"),
    ("afternotok", "FAILED", 10, ""),
    ("afternotok", COMPLETED, 10, "ran although its parent COMPLETED"),
    ("afterany", "FAILED", 9, "started before its parent ended"),
    ("after", COMPLETED, 2, ""),                       # after: once the parent began
    ("after", COMPLETED, 0.5, "started before its parent started"),
])
def test_sbatch_dependency_kinds_are_checked_by_slurms_rules(kind, parent_state, child_start,
                                                             rule):
    rows = [Row(0, 0, 1, 10, state=parent_state), Row(1, 0, child_start, child_start + 5)]
    result = check_dependencies(_with_depends(rows, {1: ((kind, (0,)),)}))
    assert result.checked == 1
    assert [v["rule"] for v in result.violations] == ([rule] if rule else [])
    assert result.status == (FAIL if rule else PASS)


def test_a_child_that_never_ran_and_parents_outside_the_run_are_not_judged():
    rows = [Row(0, 0, 1, 10), Row(1, 0, None, 0, state="CANCELLED"), Row(2, 0, 11, 12)]
    result = check_dependencies(_with_depends(rows, {1: (("afternotok", (0,)),),
                                                     2: (("afterok", (0, 7)),)}))
    assert result.checked == 1 and result.status == PASS
    assert result.note == "1 parent(s) not in the run"


def test_closed_loop_runs_respect_dependencies(wlgen_run):
    # Chains of 3 jobs, each 1 CPU for 20 s, think time 5 s, on a cluster with room.
    specs = [JobSpec(seq=i, submit_s=0, procs=1, runtime_s=20, time_limit_s=20,
                     source_id=i + 1, preceding=i if i % 3 else None, think_s=5)
             for i in range(9)]
    obs = wlgen_run(specs, nodes=1, cpus=8, closed_loop=True)
    assert assert_dependencies(obs).checked == 6
    starts = {j.seq: j.start - obs.jobs[0].submit for j in obs.jobs}
    assert starts[1] == 25 and starts[2] == 50

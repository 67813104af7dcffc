"""EASY reservation and priority order: hand-made violations, simulator runs that hold."""

from __future__ import annotations

import pytest

from workload.checks import FAIL, PASS, check_easy_reservation, check_priority_order
from workload.sources import StormSource
from workload.testing import (Row, assert_easy_reservation, assert_priority_order,
                              hand_cluster, observed_from_rows)

# 4 CPUs. J0 holds 2 until t=10 (limit 10). J1 (4 CPUs) becomes head at t=1: its
# reservation is t=10. J2 (2 CPUs) is backfilled at t=2.
LEGAL = [Row(0, 0, 0, 10, procs=2), Row(1, 1, 10, 20, procs=4), Row(2, 2, 2, 7, procs=2)]


def test_a_backfill_that_ends_before_the_reservation_passes():
    result = check_easy_reservation(observed_from_rows(LEGAL, hand_cluster(1, 4)))
    assert result.status == PASS and result.checked == 1


def test_a_backfill_that_delays_the_head_fails_naming_head_and_suspect():
    # J2 asks for 100 s and runs to 102: the head J1 starts at 102, not at its shadow 10.
    rows = [Row(0, 0, 0, 10, procs=2), Row(1, 1, 102, 112, procs=4),
            Row(2, 2, 2, 102, procs=2, limit=100)]
    result = check_easy_reservation(observed_from_rows(rows, hand_cluster(1, 4)))
    assert result.status == FAIL
    v = result.violations[0]
    assert (v["head"], v["at"], v["shadow"], v["head_start"]) == (1, 2, 10, 102)
    assert v["backfilled"] == [2] and v["delayed_by_s"] == 92


def test_the_shadow_uses_requested_not_actual_ends():
    # J0 asks for 50 but runs 10: the reservation at t=2 is 50, so J1 at 40 is on time
    # even though a backfilled J2 (limit 38, ends by 40) held CPUs after J0 ended.
    rows = [Row(0, 0, 0, 10, procs=2, limit=50), Row(1, 1, 40, 50, procs=4),
            Row(2, 2, 2, 40, procs=2, limit=38)]
    assert check_easy_reservation(observed_from_rows(rows, hand_cluster(1, 4))).status == PASS


def test_a_later_head_start_within_tolerance_passes():
    rows = [Row(0, 0, 0, 10, procs=2), Row(1, 1, 13, 23, procs=4),
            Row(2, 2, 2, 13, procs=2, limit=11)]
    obs = observed_from_rows(rows, hand_cluster(1, 4))
    assert check_easy_reservation(obs).status == FAIL
    assert check_easy_reservation(obs, tolerance_s=5).status == PASS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulated_easy_keeps_every_reservation(wlgen_run, seed):
    source = StormSource(400, rate=2.0, poisson=True, size="pow2:1-32", runtime="exp:120",
                         seed=seed)
    obs = wlgen_run(source, nodes=4, cpus=16, policy="easy")
    result = assert_easy_reservation(obs)
    assert result.checked > 20        # backfilling really happened and was judged
    assert_priority_order(obs)


def test_an_easier_job_overtaken_by_a_harder_one_fails():
    # A (1 CPU, 10 s) waits until 20 although B (same size, later) started at 5.
    rows = [Row(0, 0, 20, 30, procs=1), Row(1, 1, 5, 15, procs=1)]
    result = check_priority_order(observed_from_rows(rows, hand_cluster(1, 4)))
    assert result.status == FAIL
    assert result.violations[0] == {"seq": 1, "job_id": "j1", "submit": 1, "start": 5,
                                    "overtook": 0, "overtaken_start": 20.0}


def test_a_bigger_job_may_be_overtaken_unless_strict_fcfs():
    rows = [Row(0, 0, 20, 30, procs=4), Row(1, 1, 5, 15, procs=1)]
    obs = observed_from_rows(rows, hand_cluster(1, 4))
    assert check_priority_order(obs).status == PASS
    assert check_priority_order(obs, fcfs=True).status == FAIL


def test_order_is_judged_per_user_when_asked():
    rows = [Row(0, 0, 20, 30, user="alice"), Row(1, 1, 5, 15, user="bob")]
    obs = observed_from_rows(rows, hand_cluster(1, 4))
    assert check_priority_order(obs).status == FAIL
    assert check_priority_order(obs, by="user").status == PASS


def test_simulated_fcfs_is_strict_fcfs_and_easy_is_not(wlgen_run):
    source = dict(jobs=300, rate=1.0, size="pow2:1-32", runtime="exp:100", seed=7)
    fcfs = wlgen_run(StormSource(**source), nodes=4, cpus=16, policy="fcfs")
    assert assert_priority_order(fcfs, fcfs=True).checked == 300
    easy = wlgen_run(StormSource(**source), nodes=4, cpus=16, policy="easy")
    assert check_priority_order(easy, fcfs=True).status == FAIL   # it backfilled
    assert_priority_order(easy)


def test_same_second_submits_are_ordered_by_slurm_job_id_not_seq():
    # Seq 15 reached the controller after seq 16 (job ids 17 and 16), in the same
    # second: Slurm may start 16 first. With non-numeric ids, seq decides.
    rows = [Row(15, 10, 13, 15, procs=2, limit=60, job_id="17"),
            Row(16, 10, 10, 14, procs=4, limit=60, job_id="16")]
    assert check_priority_order(observed_from_rows(rows)).status == PASS
    plain = [Row(15, 10, 13, 15, procs=2, limit=60), Row(16, 10, 10, 14, procs=4, limit=60)]
    assert check_priority_order(observed_from_rows(plain)).status == FAIL
    arrays = [Row(1, 10, 13, 15, procs=2, limit=60, job_id="4_1"),
              Row(2, 10, 10, 14, procs=4, limit=60, job_id="4_0")]
    assert check_priority_order(observed_from_rows(arrays)).status == PASS


def test_easy_queue_order_follows_slurm_job_ids_within_a_second():
    # 4 CPUs; J0 holds 2 until 10. Seq 1 (2 CPUs) and seq 2 (4 CPUs) are both submitted
    # at t=1, but seq 2 reached the controller first (job id 2 < 3): it is the head,
    # starts at 10, and seq 1 follows at 20. Judged by workload order instead, seq 1
    # would be the head and seq 2 a backfill that delayed it.
    rows = [Row(0, 0, 0, 10, procs=2, job_id="1"),
            Row(1, 1, 20, 30, procs=2, limit=100, job_id="3"),
            Row(2, 1, 10, 20, procs=4, job_id="2")]
    assert check_easy_reservation(observed_from_rows(rows, hand_cluster(1, 4))).status == PASS
    by_seq = [Row(r.seq, r.submit, r.start, r.end, procs=r.procs, limit=r.limit) for r in rows]
    assert check_easy_reservation(observed_from_rows(by_seq, hand_cluster(1, 4))).status == FAIL


def test_a_heterogeneous_job_is_as_hard_as_all_its_components():
    # A is 1 CPU + a 3-CPU component: it asks 4 CPUs at once, so B (2 CPUs, later) may
    # start first. Judged by its first component alone, A would look easier than B.
    from workload.spec import Component

    rows = [Row(0, 0, 20, 30, procs=1), Row(1, 1, 5, 15, procs=2)]
    obs = observed_from_rows(rows, hand_cluster(1, 4))
    assert check_priority_order(obs).status == FAIL          # two ordinary jobs: overtaken
    obs.requests[0] = obs.requests[0].with_(components=(Component(3),))
    assert check_priority_order(obs).status == PASS


def test_a_job_waiting_for_its_parent_may_be_passed_while_it_waits():
    # A (1 CPU) waits for P until 20; B (1 CPU, later) starts at 2 on a free CPU. Slurm
    # does the same (A pends Dependency): not a violation. Without the dependency it is.
    rows = [Row(0, 0, 0, 20, procs=2), Row(1, 1, 20, 30, procs=1, preceding=0),
            Row(2, 2, 2, 12, procs=1)]
    assert check_priority_order(observed_from_rows(rows, hand_cluster(1, 4))).status == PASS
    rows[1] = Row(1, 1, 20, 30, procs=1)
    assert check_priority_order(observed_from_rows(rows, hand_cluster(1, 4))).status == FAIL

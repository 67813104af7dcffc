"""Checks judge a schedule by the scheduler that made it: textbook, or Slurm's semantics
(priority order, backfill on the bf_resolution grid, limits in whole minutes)."""

from __future__ import annotations

from workload.checks import FAIL, NA, PASS, check_easy_reservation, check_priority_order
from workload.checks.semantics import TEXTBOOK, Semantics, semantics_of
from workload.checks.timing import check_within_time_limit
from workload.event import TIMEOUT
from workload.sources import StormSource
from workload.testing import Row, hand_cluster, observed_from_rows

#: The container cluster's Slurm: bf_interval 30 s, bf_resolution 60 s, OverTimeLimit 0.
SLURM = Semantics(True, bf_interval_s=30, bf_resolution_s=60, over_time_limit_s=0,
                  time_check_s=30)
#: Multifactor with a static weight (job size, QOS...) and no fair-share or age.
STATIC = Semantics(True, 30, 60, 0, 30, multifactor=True, w_static=1000)
FAIRSHARE = Semantics(True, 30, 60, 0, 30, multifactor=True, w_age=1000, w_fairshare=10000)


# -- within_time_limit -----------------------------------------------------------------
def test_slurm_rounds_a_limit_up_to_minutes_and_kills_at_the_next_check():
    # 90 s asked -> 120 s held, killed by the 30 s check after it: 145 s is Slurm's
    # legal kill, a textbook violation.
    rows = [Row(0, 0, 0, 145, limit=90, state=TIMEOUT)]
    assert check_within_time_limit(observed_from_rows(rows, semantics=SLURM)).status == PASS
    assert check_within_time_limit(observed_from_rows(rows)).status == FAIL


def test_slurm_running_past_its_rounded_limit_and_check_still_fails():
    rows = [Row(0, 0, 0, 150.5, limit=90)]     # 120 + 0 + 30 = 150 at the latest
    result = check_within_time_limit(observed_from_rows(rows, semantics=SLURM))
    assert result.status == FAIL and result.violations[0]["kill_by_s"] == 150
    assert "whole minutes" in result.note


def test_over_time_limit_extends_the_kill_point():
    over = Semantics(True, 30, 60, over_time_limit_s=60, time_check_s=30)
    legal, late = [Row(0, 0, 0, 200, limit=90)], [Row(0, 0, 0, 211, limit=90)]
    assert check_within_time_limit(observed_from_rows(legal, semantics=over)).status == PASS
    assert check_within_time_limit(observed_from_rows(late, semantics=over)).status == FAIL


def test_a_slurm_timeout_before_the_rounded_limit_is_an_early_kill():
    rows = [Row(0, 0, 0, 100, limit=90, state=TIMEOUT)]    # Slurm holds it to 120 s
    result = check_within_time_limit(observed_from_rows(rows, semantics=SLURM))
    assert result.status == FAIL and result.violations[0]["earliest_kill_s"] == 120
    on_time = [Row(0, 0, 0, 120, limit=90, state=TIMEOUT)]
    assert check_within_time_limit(observed_from_rows(on_time, semantics=SLURM)
                                   ).status == PASS


# -- priority_order --------------------------------------------------------------------
# 1 node, 2 CPUs. J0 holds both until 10. J1 (1 CPU, submitted first, priority 100) and
# J2 (1 CPU, submitted later, priority 500): Slurm starts J2 first, J1 after.
BY_PRIORITY = [Row(0, 0, 0, 10, procs=2, priority=900), Row(1, 1, 20, 30, priority=100),
               Row(2, 2, 10, 20, priority=500)]


def test_a_higher_priority_job_may_overtake_an_earlier_one():
    result = check_priority_order(observed_from_rows(BY_PRIORITY, hand_cluster(1, 2),
                                                     semantics=STATIC))
    assert result.status == PASS and "priority" in result.note
    # The same schedule judged by submit order (textbook) is a violation.
    textbook = check_priority_order(observed_from_rows(BY_PRIORITY, hand_cluster(1, 2)))
    assert textbook.status == FAIL


def test_a_lower_priority_job_overtaking_a_higher_one_fails():
    rows = [Row(0, 0, 0, 10, procs=2, priority=900), Row(1, 1, 20, 30, priority=500),
            Row(2, 2, 10, 20, priority=100)]
    result = check_priority_order(observed_from_rows(rows, hand_cluster(1, 2),
                                                     semantics=STATIC))
    assert result.status == FAIL
    assert (result.violations[0]["seq"], result.violations[0]["overtook"]) == (2, 1)


def test_age_is_taken_out_of_start_priorities():
    # Age weight 604800 per week = 1 per second. J1 waited 19 s (priority 19), J2 8 s
    # (priority 10, so its static part is 2). J1's static part is 0: J2 rightly first.
    aged = Semantics(True, 30, 60, 0, 30, multifactor=True, w_age=604800, w_static=1)
    rows = [Row(0, 0, 0, 10, procs=2, priority=0), Row(1, 1, 20, 30, priority=19),
            Row(2, 2, 10, 20, priority=10)]
    assert check_priority_order(observed_from_rows(rows, hand_cluster(1, 2),
                                                   semantics=aged)).status == PASS
    # Had J2 no static part (priority 8), J1 (older) was first: a violation.
    rows[2] = Row(2, 2, 10, 20, priority=8)
    assert check_priority_order(observed_from_rows(rows, hand_cluster(1, 2),
                                                   semantics=aged)).status == FAIL


def test_fair_share_compares_jobs_of_one_user_only():
    # u2's later job overtakes u1's earlier one: fair-share may have done it.
    across = [Row(0, 0, 0, 10, procs=2, user="u0"), Row(1, 1, 20, 30, user="u1"),
              Row(2, 2, 10, 20, user="u2")]
    result = check_priority_order(observed_from_rows(across, hand_cluster(1, 2),
                                                     semantics=FAIRSHARE))
    assert result.status == PASS and "within a user" in result.note
    # One user's later job overtaking its earlier one is not fair-share's doing.
    same = [r if r.seq == 0 else Row(r.seq, r.submit, r.start, r.end, user="u1")
            for r in across]
    assert check_priority_order(observed_from_rows(same, hand_cluster(1, 2),
                                                   semantics=FAIRSHARE)).status == FAIL


def test_fair_share_with_static_weights_is_not_judged():
    both = Semantics(True, 30, 60, 0, 30, multifactor=True, w_fairshare=1, w_static=1)
    result = check_priority_order(observed_from_rows(BY_PRIORITY, hand_cluster(1, 2),
                                                     semantics=both))
    assert result.status == NA and "fair-share" in result.note


# -- easy_reservation ------------------------------------------------------------------
def _delayed(head_start: float) -> list[Row]:
    """4 CPUs. J0 holds 2 until 10 (limit 60, Slurm's whole minute). J1 (4 CPUs) is
    head from t=1, its shadow 60; J2 (2 CPUs, limit 60) is backfilled at 2 and ends at
    ``head_start``, when J1 starts."""
    return [Row(0, 0, 0, 10, procs=2, limit=60), Row(1, 1, head_start, head_start + 10,
                                                         procs=4),
            Row(2, 2, 2, head_start, procs=2, limit=60)]


def test_slurm_backfill_may_start_the_head_a_resolution_and_interval_late():
    # 40 s past the exact shadow (60): within bf_resolution 60 + bf_interval 30.
    obs = observed_from_rows(_delayed(100), hand_cluster(1, 4), semantics=SLURM)
    result = check_easy_reservation(obs)
    assert result.status == PASS and result.checked == 1
    assert "tolerance 90 s = bf_resolution 60 s + bf_interval 30 s" in result.note
    assert check_easy_reservation(observed_from_rows(_delayed(100), hand_cluster(1, 4))
                                  ).status == FAIL


def test_slurm_backfill_that_really_delays_the_head_still_fails():
    obs = observed_from_rows(_delayed(151), hand_cluster(1, 4), semantics=SLURM)
    result = check_easy_reservation(obs)
    assert result.status == FAIL and result.violations[0]["delayed_by_s"] == 91


def test_slurm_reservations_use_limits_rounded_to_minutes():
    # J0 asks 10 s: Slurm plans it to end at 60, so the head's shadow is 60, not 10.
    rows = [Row(0, 0, 0, 10, procs=2, limit=10), Row(1, 1, 200, 210, procs=4),
            Row(2, 2, 2, 200, procs=2, limit=198)]
    v = check_easy_reservation(observed_from_rows(rows, hand_cluster(1, 4),
                                                  semantics=SLURM)).violations
    assert v and v[0]["shadow"] == 60
    textbook = check_easy_reservation(observed_from_rows(rows, hand_cluster(1, 4)))
    assert textbook.violations[0]["shadow"] == 10


def test_easy_is_not_judged_across_users_under_fair_share():
    rows = [Row(r.seq, r.submit, r.start, r.end, procs=r.procs, limit=r.limit,
                user=f"u{r.seq}") for r in _delayed(151)]
    result = check_easy_reservation(observed_from_rows(rows, hand_cluster(1, 4),
                                                       semantics=FAIRSHARE))
    assert result.status == NA and "head job" in result.note
    # One user: age alone orders the queue, and the delay is caught.
    one = check_easy_reservation(observed_from_rows(_delayed(151), hand_cluster(1, 4),
                                                    semantics=FAIRSHARE))
    assert one.status == FAIL


# -- what the run directory records ----------------------------------------------------
def test_runs_record_the_semantics_they_were_scheduled_by(wlgen_run):
    source = StormSource(20, runtime="10-30", size="1-4", seed=3)
    slurm = wlgen_run(source, nodes=1, cpus=4, policy="slurm")
    assert slurm.semantics.slurm and slurm.semantics.multifactor
    assert (slurm.semantics.bf_resolution_s, slurm.semantics.bf_interval_s) == (60, 5)
    textbook = wlgen_run(StormSource(20, runtime="10-30", size="1-4", seed=3),
                         nodes=1, cpus=4)
    assert textbook.semantics == TEXTBOOK


def test_old_run_directories_are_judged_by_how_they_were_scheduled():
    assert semantics_of({"backend": "sim", "policy": "easy"}) == TEXTBOOK
    real = semantics_of({"backend": "slurm", "cluster": {"slurm_version": "24.11"}})
    assert real.slurm and real.bf_resolution_s == 60 and real.time_check_s == 30
    assert (real.bf_interval_s, real.w_fairshare) == (5, 10000)     # the container's
    # A simulator scenario with slurm keys ran Slurm mode, its keys over the container's.
    sim = semantics_of({"backend": "sim", "policy": "easy", "scenario": {"slurm": {
        "overrides": {"PriorityWeightFairshare": 0, "OverTimeLimit": 2}}}})
    assert sim.slurm and sim.w_fairshare == 0 and sim.over_time_limit_s == 120

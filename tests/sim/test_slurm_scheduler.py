"""Slurm's main scheduler and backfill in the simulator, against hand-computed schedules.

Every case: a handful of jobs where the setting changes the order; the comment gives
the hand computation. Times in seconds; limits are whole minutes as sbatch keeps them.
Backfill passes run at multiples of bf_interval (default 30 s), the full main pass at
multiples of sched_interval (60 s), the event pass batch_sched_delay after a submit/end
(set to 0 by ``conf`` unless a test says otherwise).
"""

from __future__ import annotations

from tests.sim.helpers import conf, ends, first, job, nodes, simulate, starts

# 1 node x 4 CPUs. J0 holds 2 CPUs for 10 min; J1 wants all 4 (blocked until 600).
HEAD = [job(0, 0, 2, 600), job(1, 1, 4, 600)]


def test_backfill_starts_a_short_job_at_the_next_backfill_pass():
    # J2 (2 CPUs, 5 min) fits the 2 free CPUs and ends at 30+300=330 <= 600, J1's
    # planned start: the pass at t=30 starts it. The main scheduler (event pass at 2)
    # stopped at J1 (Resources) and left J2 pending with reason Priority.
    events = simulate(HEAD + [job(2, 2, 2, 300)], nodes(1, 4), conf())
    assert starts(events) == {0: 0, 2: 30, 1: 600}
    assert first(events, 2).reason == "Priority"
    assert first(events, 1).reason == "Resources"


def test_backfill_never_starts_a_job_that_crosses_a_reservation():
    # J2 runs 5 min but asks for 20: from t=30 it would hold 2 CPUs to 1230 > 600 and
    # J1 needs all 4 at 600. It waits for J1 (600..1200).
    events = simulate(HEAD + [job(2, 2, 2, 300, limit=1200)], nodes(1, 4), conf())
    assert starts(events) == {0: 0, 1: 600, 2: 1200}


def test_builtin_stops_at_the_first_job_that_cannot_start():
    # sched/builtin: no backfill, J2 waits behind J1 although it fits at t=2.
    events = simulate(HEAD + [job(2, 2, 2, 300)], nodes(1, 4),
                      conf(SchedulerType="sched/builtin"))
    assert starts(events) == {0: 0, 1: 600, 2: 1200}


def test_a_blocked_partition_does_not_stop_another_partition():
    # Two partitions on separate nodes: J1 blocks "batch" only; J2 in "other" starts
    # in the same main pass it was submitted in (builtin, no backfill).
    from workload.backends.base import ClusterInfo, NodeInfo
    info = ClusterInfo("t", (NodeInfo("n1", 4, 64000, ("batch",)),
                             NodeInfo("n2", 4, 64000, ("other",))))
    specs = HEAD + [job(2, 2, 2, 300, partition="other")]
    events = simulate(specs, info, conf(SchedulerType="sched/builtin"))
    assert starts(events) == {0: 0, 2: 2, 1: 600}


def test_bf_interval_sets_when_backfilled_jobs_start():
    # bf_interval=5: the pass after J2's submit at 2 is at 5.
    events = simulate(HEAD + [job(2, 2, 2, 300)], nodes(1, 4),
                      conf(SchedulerParameters="bf_interval=5"))
    assert starts(events)[2] == 5


def test_bf_window_limits_reservations():
    # J0 holds 2 of 4 CPUs for 60 min; J1 (4 CPUs) can start at 3600. J2 (2 CPUs,
    # 120 min) would delay J1's reservation, so with the default window (1440 min) it
    # waits. With bf_window=10 (min), 3600 is beyond now+600: J1 gets no reservation
    # and J2 starts at the pass at 30.
    specs = [job(0, 0, 2, 3600), job(1, 1, 4, 600), job(2, 2, 2, 7200)]
    assert starts(simulate(specs, nodes(1, 4), conf()))[2] == 4200
    assert starts(simulate(specs, nodes(1, 4), conf(SchedulerParameters="bf_window=10")))[2] == 30


def test_bf_max_job_test_limits_the_jobs_backfill_looks_at():
    # bf_max_job_test=1: backfill tests J1 only, so J2 is never backfilled and starts
    # after J1 (600..1200) instead of at 30.
    events = simulate(HEAD + [job(2, 2, 2, 300)], nodes(1, 4),
                      conf(SchedulerParameters="bf_max_job_test=1"))
    assert starts(events) == {0: 0, 1: 600, 2: 1200}


def test_bf_max_job_user_skips_a_users_further_jobs():
    # J1 and J2 belong to user u; with bf_max_job_user=1 backfill tests only J1 for u,
    # so J2 waits; J3 of user v (same shape) is tested and backfilled at 30.
    specs = HEAD[:1] + [job(1, 1, 4, 600, user="u"), job(2, 2, 2, 300, user="u"),
                        job(3, 3, 2, 300, user="v")]
    events = simulate(specs, nodes(1, 4), conf(SchedulerParameters="bf_max_job_user=1"))
    assert starts(events)[3] == 30 and starts(events)[2] == 1200


def test_bf_resolution_rounds_reservations_down():
    # J0 (2 of 4 CPUs) has a 61 s limit -> 2 min: planned to end at 120, so J1 (4 CPUs)
    # is planned at 120, reserved [120, 180). J2 (2 CPUs, 2 min limit) at the pass at 30
    # would hold CPUs to 150 > 120: not backfilled; it runs after J1 (J0 really ends at
    # 100, J1 100..160). With bf_resolution=300 J1's reservation [120, 180) rounds down
    # to [0, 0): it holds nothing, and J2 is backfilled at 30.
    specs = [job(0, 0, 2, 100, limit=61), job(1, 1, 4, 60), job(2, 2, 2, 50, limit=120)]
    assert starts(simulate(specs, nodes(1, 4), conf())) == {0: 0, 1: 100, 2: 160}
    coarse = simulate(specs, nodes(1, 4), conf(SchedulerParameters="bf_resolution=300"))
    assert starts(coarse) == {0: 0, 2: 30, 1: 100}


def test_a_reservation_starts_on_the_grid_before_the_planned_start():
    # J0 (2 of 4 CPUs, 2 min limit) starts at 30 and is planned to end at 150 (to the
    # second, not on the grid). J1 (4 CPUs) is planned at 150: backfill.c reserves
    # [floor(150/60)*60, floor(210/60)*60) = [120, 180). J2 (2 CPUs, 1 min) at the pass
    # at 90 would hold CPUs over [90, 150), into the reservation: not backfilled. J0
    # ends at 149, J1 runs 149..209, J2 after it. (Rounding J0's end up to 180 instead
    # would plan J1 at 180 and backfill J2 at 90.)
    specs = [job(0, 30, 2, 119, limit=120), job(1, 31, 4, 60), job(2, 80, 2, 30)]
    assert starts(simulate(specs, nodes(1, 4), conf())) == {0: 30, 1: 149, 2: 209}


def test_default_queue_depth_and_sched_interval():
    # sched/builtin, default_queue_depth=1: the event pass at J0's end (600) tests one
    # job, J1; J2 starts at the next full pass, at the next multiple of sched_interval
    # (60 s): 660. With the default depth (100) both start at 600.
    specs = [job(0, 0, 4, 600), job(1, 1, 1, 600), job(2, 2, 1, 600)]
    deep = simulate(specs, nodes(1, 4), conf(SchedulerType="sched/builtin"))
    assert starts(deep) == {0: 0, 1: 600, 2: 600}
    shallow = simulate(specs, nodes(1, 4), conf(SchedulerType="sched/builtin",
                                                SchedulerParameters="default_queue_depth=1"))
    assert starts(shallow) == {0: 0, 1: 600, 2: 660}


def test_batch_sched_delay_counts_from_the_schedulers_last_run():
    # controller.c runs queued scheduling on its once-a-second wake-up when
    # batch_sched_delay has passed since the last run. J0 (submit 0) on an idle node:
    # no run yet, it starts at 0. J1 (submit 1.5): the wake-up at 2 is 2 s after the
    # run at 0 < 3, so J1 starts at 3. With batch_sched_delay=0 it starts at the wake-up
    # at 2, not at its submit.
    specs = [job(0, 0, 1, 60), job(1, 1.5, 1, 60)]
    delayed = simulate(specs, nodes(1, 4),
                       conf().merged("SchedulerParameters=batch_sched_delay=3"))
    assert starts(delayed) == {0: 0, 1: 3}
    assert starts(simulate(specs, nodes(1, 4), conf())) == {0: 0, 1: 2}


def test_an_end_schedules_at_once_on_22_05_and_at_the_next_wake_up_later():
    # J0 holds all 4 CPUs until 10.5; J1 waits for them. 22.05's epilog-complete RPC
    # calls schedule() at once: J1 starts at 10.5. From 24.11 the end is scheduled on
    # the background loop's next whole-second wake-up: 11.
    specs = [job(0, 0, 4, 10.5, limit=60), job(1, 1, 4, 5, limit=60)]
    assert starts(simulate(specs, nodes(1, 4), conf(release="22.05")))[1] == 10.5
    assert starts(simulate(specs, nodes(1, 4), conf()))[1] == 11


def test_time_limits_are_whole_minutes_and_overtime_extends_them():
    # A 61 s limit is 2 min: a 100 s job completes. A 200 s job with a 1 min limit is
    # killed at the time-limit check at 60 (checks every 30 s): TIMEOUT at 60. With
    # OverTimeLimit=1 (min) it may run to 120: killed at 120.
    specs = [job(0, 0, 1, 100, limit=61), job(1, 0, 1, 200, limit=60)]
    assert ends(simulate(specs, nodes(1, 4), conf())) == {0: (100, "COMPLETED"),
                                                          1: (60, "TIMEOUT")}
    assert ends(simulate(specs, nodes(1, 4), conf(OverTimeLimit=1)))[1] == (120, "TIMEOUT")


def test_requeue_holds_the_job_two_minutes():
    # JobRequeue=1 (default): J0 on n1 is requeued when n1 fails at 100 and may start
    # again at 100+120=220 (BeginTime), on n2. JobRequeue=0: it ends NODE_FAIL at 100.
    events = simulate([job(0, 0, 1, 600)], nodes(2, 1), conf(), faults=[(100, "n1", False)])
    assert [e.time for e in events if e.kind == "start"] == [0, 220]
    assert any(e.kind == "state" and e.state == "REQUEUED" and e.time == 100 for e in events)
    events = simulate([job(0, 0, 1, 600)], nodes(2, 1), conf(JobRequeue=0),
                      faults=[(100, "n1", False)])
    assert ends(events) == {0: (100, "NODE_FAIL")}


def _with_partitions(config, *parts):
    from dataclasses import replace
    return replace(config, partitions=parts)


def test_partition_default_time_max_time_and_max_nodes():
    # batch: DefaultTime 2 min, MaxTime 10 min, MaxNodes 1. J0 asks for no limit: it gets
    # 2 min and a 300 s payload is killed at 120 (TIMEOUT). J1 asks for 20 min: refused
    # (PartitionTimeLimit). J2 pins 2 nodes (PartitionNodeLimit). Slurm's default
    # EnforcePartLimits=NO accepts J1 and J2 and leaves them pending with that reason
    # until the limit changes; wlgen's watcher cancels them (NEVER_REASONS), so they end
    # CANCELLED with it. EnforcePartLimits=ALL refuses them at submit.
    from workload.slurmconf import PartitionConf
    part = PartitionConf("batch", default_time_s=120, max_time_s=600, max_nodes=1)
    specs = [job(0, 0, 1, 300, limit=0), job(1, 0, 1, 60, limit=1200),
             job(2, 0, 2, 60, nodes=2)]
    expected = {1: "PartitionTimeLimit", 2: "PartitionNodeLimit"}
    for enforce, state in (("NO", "CANCELLED"), ("ALL", "REJECTED"), ("ANY", "REJECTED")):
        config = _with_partitions(conf(EnforcePartLimits=enforce), part)
        events = simulate(specs, nodes(2, 4), config)
        assert ends(events)[0] == (120, "TIMEOUT")
        over = {e.seq: (e.state, e.reason) for e in events if e.kind == "end" and e.seq}
        assert over == {seq: (state, why) for seq, why in expected.items()}, enforce
    default = simulate(specs, nodes(2, 4), _with_partitions(conf(), part))
    assert [e.state for e in default if e.kind == "end"] == ["CANCELLED"] * 2 + ["TIMEOUT"]


def test_backfill_protects_a_higher_tier_job_across_shared_nodes():
    # One node (4 CPUs) in "low" and "high" (PriorityTier 2). J0 (low, 2 CPUs) runs to
    # 600. J1 (high, 4 CPUs) is planned at 600. J2 (low, 2 CPUs, 20 min) fits now but
    # would hold CPUs past 600: backfill leaves it; it starts after J1 (1200). J3 (low,
    # 2 CPUs, 5 min) ends by 330: backfilled at 30.
    from workload.backends.base import ClusterInfo, NodeInfo
    from workload.slurmconf import PartitionConf
    info = ClusterInfo("t", (NodeInfo("n1", 4, 64000, ("low", "high")),), default_partition="low")
    config = _with_partitions(conf(), PartitionConf("low"), PartitionConf("high", priority_tier=2))
    specs = [job(0, 0, 2, 600), job(1, 1, 4, 600, partition="high"), job(2, 2, 2, 1200),
             job(3, 3, 2, 300)]
    assert starts(simulate(specs, info, config)) == {0: 0, 3: 30, 1: 600, 2: 1200}


def test_a_run_through_the_factory_records_priority_and_reason(tmp_path):
    # --policy slurm: the container cluster's settings (fair-share 10000, age 1000,
    # bf_interval=5, batch_sched_delay=0). Every start event carries a priority and a
    # reason in Slurm's names; J1 waited behind J0 for resources.
    import json

    from workload.backends.select import make_backend
    from workload.run.runner import run_workload
    backend = make_backend("sim", nodes(1, 4), policy="slurm")
    result = run_workload([job(0, 0, 4, 60), job(1, 1, 4, 60)], backend, out=str(tmp_path / "r"))
    text = (result.run_dir / "events.jsonl").read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    started = {e["seq"]: e for e in lines if e["kind"] == "start"}
    assert started[0]["time"] - lines[0]["time"] == 0 and started[0]["reason"] == "None"
    assert started[1]["reason"] == "Resources" and started[1]["priority"] >= 1
    assert started[1]["time"] - started[0]["time"] == 60


def test_a_backfill_reservation_holds_whole_nodes():
    # 2 nodes x 4 CPUs. J0 holds 3 CPUs to 600. J1 (6 CPUs) is planned at 600 on two
    # whole nodes (backfill reserves node bitmaps), so J2 (1 CPU, 20 min) cannot run
    # past 600 anywhere: not backfilled at 30 (it would be if only J1's 6 CPUs were
    # held: 2 free from 600). At 600 the main pass starts J1 and J2 beside it.
    specs = [job(0, 0, 3, 600), job(1, 1, 6, 600), job(2, 2, 1, 1200)]
    assert starts(simulate(specs, nodes(2, 4), conf())) == {0: 0, 1: 600, 2: 600}


def test_equal_priority_and_submit_time_go_by_job_id():
    # sort_job_queue2's last key: J1 and J2 submitted at the same second with the same
    # priority; J1 (lower id) starts first when J0 ends, J2 after it.
    specs = [job(0, 0, 4, 600), job(2, 5, 4, 600), job(1, 5, 4, 600)]
    assert starts(simulate(specs, nodes(1, 4), conf(SchedulerType="sched/builtin"))) == \
        {0: 0, 1: 600, 2: 1200}


def test_dependencies_and_how_source_jobs_ended():
    # Sources with ids: J0 (source 10) runs 0..600. J1 afterok:10 waits (Dependency) and
    # starts when J0 completes, at 600 (the event pass after the end). J2 afternotok:10
    # can never run: cancelled at 600 (DependencyNeverSatisfied). J3 failed at its
    # source with exit 3 after 60 s: FAILED, exit 3, at 60. J4 was cancelled 30 s after
    # it started: CANCELLED at 30. 2 nodes x 4 CPUs, so nothing else waits.
    specs = [job(0, 0, 1, 600, source_id=10),
             job(1, 1, 1, 60, source_id=11, depends=(("afterok", (10,)),)),
             job(2, 1, 1, 60, source_id=12, depends=(("afternotok", (10,)),)),
             job(3, 0, 1, 60, final_state="FAILED", exit_code=3),
             job(4, 0, 1, 600, cancel_after_s=30)]
    events = simulate(specs, nodes(2, 4), conf())
    assert starts(events)[1] == 600 and first(events, 1).reason == "Dependency"
    assert ends(events)[2] == (600, "CANCELLED")
    assert first(events, 2, "end").reason == "DependencyNeverSatisfied"
    assert ends(events)[3] == (60, "FAILED") and first(events, 3, "end").exit_code == 3
    assert ends(events)[4] == (30, "CANCELLED")

"""The simulator's optional Slurm-like behaviour: minute limits, periodic backfill.

The default stays textbook EASY (the other harness and core tests hold it to that).
"""

from __future__ import annotations

from workload.backends.sim import Calibration
from workload.spec import JobSpec
from workload.testing import assert_invariants, wlgen_run


def job(seq: int, submit: float, procs: int, run: float, limit: float | None = None) -> JobSpec:
    return JobSpec(seq=seq, submit_s=submit, procs=procs, runtime_s=run,
                   time_limit_s=run if limit is None else limit)


def starts(obs) -> dict[int, float]:
    zero = min(j.submit for j in obs.jobs)
    return {j.seq: round(j.start - zero, 6) for j in obs.jobs}


def test_limits_round_up_to_whole_minutes_like_sbatch_time():
    specs = [job(1, 0, 1, 10, limit=5)]
    default = wlgen_run(specs, nodes=1, cpus=4)
    assert default.jobs[0].state == "TIMEOUT"
    slurm = wlgen_run(specs, nodes=1, cpus=4, calibration=Calibration(time_limit_round_s=60))
    assert slurm.jobs[0].state == "COMPLETED"
    assert Calibration(time_limit_round_s=60).limit(61) == 120
    assert Calibration(time_limit_round_s=60).limit(60) == 60


def test_minute_limits_change_what_backfill_may_start():
    # Head (4 CPUs) waits for a 3-CPU job asking 20 s; a 1-CPU job asking 15 s fits in
    # the free CPU and ends before the shadow time... unless both round to 60 s, when it
    # still ends by the (now 60 s) shadow: starts. A 1-CPU job asking 30 s ends after a
    # 20 s shadow (not backfilled) but within 60 s (backfilled).
    specs = [job(1, 0, 3, 20), job(2, 0, 4, 10), job(3, 0, 1, 30)]
    assert starts(wlgen_run(specs, nodes=1, cpus=4))[3] == 30
    minutes = wlgen_run(specs, nodes=1, cpus=4, calibration=Calibration(time_limit_round_s=60))
    assert starts(minutes)[3] == 0
    assert_invariants(minutes)


def test_backfill_runs_only_on_its_interval_while_in_order_starts_are_immediate():
    specs = [job(1, 0, 3, 10), job(2, 0, 4, 10), job(3, 1.3, 1, 2)]
    assert starts(wlgen_run(specs, nodes=1, cpus=4))[3] == 1.3
    periodic = wlgen_run(specs, nodes=1, cpus=4, calibration=Calibration(bf_interval_s=5))
    got = starts(periodic)
    assert got[3] == 5          # the next backfill tick
    assert got[2] == 10         # the head starts in order the moment job 1 ends
    assert_invariants(periodic)

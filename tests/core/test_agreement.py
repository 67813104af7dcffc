"""The statistics of ``wlgen validate`` on hand-made schedules whose answers are known,
and the rank correlations against scipy (the reference; a dev dependency only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workload.compare.agreement import (Shift, Spread, judge, launch_overheads,
                                        median_overheads, pair, rel_error)
from workload.compare.rank import kendall_tau_b, spearman
from workload.compare.runs import JobTimes, RunView


def view(name: str, rows: list[tuple[float, float | None, float]], state: str = "COMPLETED",
         ) -> RunView:
    """A run whose job i was submitted, started and ended at rows[i] (s from the epoch)."""
    jobs = {i: JobTimes(sub, start, end, state if start is not None else "CANCELLED", "u1", 1)
            for i, (sub, start, end) in enumerate(rows)}
    return RunView(name, Path(name), {}, jobs)


# -- rank correlations against scipy -----------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kendall_tau_b_and_spearman_match_scipy_with_many_ties(seed):
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 40, 700).astype(float)          # whole seconds: many ties
    y = np.round(x + rng.normal(0, 6, 700))
    tau, used = kendall_tau_b(x, y)
    assert used == 700
    assert tau == pytest.approx(stats.kendalltau(x, y, variant="b")[0], abs=1e-12)
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)


def test_rank_correlations_of_a_hand_case():
    # One swapped pair of four: 5 concordant, 1 discordant pair -> tau = 4/6;
    # rank differences 0, 1, 1, 0 -> rho = 1 - 6 * 2 / (4 * 15) = 0.8.
    a, b = np.array([0., 10, 20, 30]), np.array([0., 20, 10, 30])
    assert kendall_tau_b(a, b)[0] == pytest.approx(4 / 6)
    assert spearman(a, b) == pytest.approx(0.8)
    # tau-b with ties on one side: x has a tie (pair 0-1), so n0 - n1 = 5.
    # concordant 5, discordant 0 -> 5 / sqrt(5 * 6).
    assert kendall_tau_b(np.array([0., 0, 1, 2]), np.array([0., 1, 2, 3]))[0] == \
        pytest.approx(5 / np.sqrt(30))


def test_constant_or_single_inputs_are_undefined_not_zero():
    assert kendall_tau_b(np.array([1.0]), np.array([2.0]))[0] is None
    assert kendall_tau_b(np.array([1., 1, 1]), np.array([1., 2, 3]))[0] is None
    assert spearman(np.array([1., 1, 1]), np.array([1., 2, 3])) is None


# -- one pair ---------------------------------------------------------------------------

REAL = [(0, 1, 11), (0, 2, 12), (1, 5, 15), (2, 10, 20)]       # waits 1, 2, 4, 8
SIM = [(0, 0, 10), (0, 0, 10), (1, 4, 14), (2, 6, 16)]         # waits 0, 0, 3, 4


def test_pair_waits_relative_errors_and_shifts():
    p = pair(view("real", REAL), view("sim", SIM))
    assert p.matched == 4 and p.only_reference == p.only_candidate == 0
    assert p.wait_reference.mean == pytest.approx(3.75)
    assert p.wait_candidate.mean == pytest.approx(1.75)
    assert p.wait_rel_error["mean"] == pytest.approx((1.75 - 3.75) / 3.75)
    assert p.wait_reference.median == pytest.approx(3.0)
    assert p.wait_rel_error["median"] == pytest.approx((1.5 - 3.0) / 3.0)
    assert p.wait_reference.p95 == pytest.approx(np.percentile([1, 2, 4, 8], 95))
    # Starts 1, 2, 5, 10 vs 0, 0, 4, 6: shifts -1, -2, -1, -4.
    assert p.shift.mean == pytest.approx(-2.0) and p.shift.mean_abs == pytest.approx(2.0)
    assert p.shift.min == -4 and p.shift.max == -1 and p.shift.within_1s == 0.5
    assert p.shift.quantiles["p50"] == pytest.approx(-1.5)
    # Order: the sim's tie of jobs 0 and 1 is one tie, every other pair concordant.
    assert p.kendall_tau_b == pytest.approx(5 / np.sqrt(6 * 5))


def test_shifts_are_measured_from_each_runs_first_submit():
    late = [(s + 4, None if t is None else t + 4, e + 4) for s, t, e in REAL]
    p = pair(view("real", late), view("real-again", REAL))
    assert p.first_submit_reference_s == 4 and p.first_submit_candidate_s == 0
    assert p.shift.mean_abs == 0 and p.kendall_tau_b == pytest.approx(1.0)
    assert p.wait_rel_error == {"mean": 0.0, "median": 0.0, "p95": 0.0}


def test_jobs_that_never_started_on_one_side_are_counted_not_compared():
    sim = list(SIM)
    sim[3] = (2, None, 2)
    p = pair(view("real", REAL), view("sim", sim))
    assert (p.matched, p.only_reference, p.only_candidate) == (3, 1, 0)
    assert p.wait_reference.n == 3 and p.wait_reference.mean == pytest.approx(7 / 3)


def test_relative_error_edge_cases():
    assert rel_error(11.0, 10.0) == pytest.approx(0.1)
    assert rel_error(0.0, 0.0) == 0.0
    assert rel_error(1.0, 0.0) is None and rel_error(None, 3.0) is None


def test_empty_samples_give_nones():
    assert Spread.of([]).mean is None and Spread.of([]).n == 0
    assert Shift.of([]).quantiles["p95"] is None


# -- launch overhead ---------------------------------------------------------------------

def test_launch_overhead_is_elapsed_minus_asked_for_completed_jobs_only():
    real = view("real", REAL)                        # elapsed 10 each
    failed = view("failed", REAL, state="FAILED")
    runtimes = {0: 8.0, 1: 9.5, 2: 10.0, 3: 12.0}
    assert launch_overheads(real, runtimes) == {0: 2.0, 1: 0.5, 2: 0.0, 3: -2.0}
    assert launch_overheads(failed, runtimes) == {}
    assert launch_overheads(real, {0: 8.0}) == {0: 2.0}       # unknown requests skipped
    # Per job, the median over the runs it completed in, never below zero.
    assert median_overheads([{0: 2.0, 3: -2.0}, {0: 4.0}, {0: 3.0}]) == {0: 3.0, 3: 0.0}


# -- the verdict -------------------------------------------------------------------------

def test_judge_passes_when_order_and_mean_wait_agree():
    reals = [view("r1", REAL), view("r2", [(s, t + 1, e + 1) for s, t, e in REAL])]
    sim = view("sim", [(s, t + 0.5, e + 0.5) for s, t, e in REAL])
    v = judge(reals, sim, runtimes={i: 9.0 for i in range(4)})
    s = v.summary
    assert s["real_runs"] == 2 and s["kendall_tau_b"] == pytest.approx(1.0)
    assert s["real_mean_wait_range"] == [pytest.approx(3.75), pytest.approx(4.75)]
    assert s["wait_sim"]["mean"] == pytest.approx(4.25)
    assert s["wait_rel_error"]["mean"] == pytest.approx(0.0)   # Slurm's mean: 4.25
    assert s["sim_mean_wait_inside_real_range"] is True
    assert s["real_vs_real_kendall_tau_b"] == pytest.approx(1.0)
    assert s["launch_overhead_mean_s"] == pytest.approx(1.0)
    assert v.passed and len(v.runs) == 2 and len(v.real_vs_real) == 1


def test_judge_fails_on_either_threshold():
    real, sim = view("real", REAL), view("sim", SIM)
    v = judge([real], sim, runtimes={})
    assert v.summary["kendall_tau_b"] > 0.9 and v.summary["wait_rel_error"]["mean"] < -0.1
    assert not v.passed and v.summary["sim_mean_wait_inside_real_range"] is False
    assert judge([real], sim, runtimes={}, max_wait_error=0.6).passed
    assert not judge([real], sim, runtimes={}, max_wait_error=0.6, min_kendall=0.95).passed
    assert v.summary["launch_overhead_mean_s"] is None        # no requests known
    assert v.to_dict()["thresholds"] == {"min_kendall": 0.9, "max_wait_error": 0.1}


def test_judge_needs_a_real_run():
    with pytest.raises(ValueError):
        judge([], view("sim", SIM), runtimes={})

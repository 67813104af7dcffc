"""compare / agreement on simulator runs whose answer we know; matrix end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.compare import compare_runs, kendall_tau_b, load_run, spearman
from workload.sources import StormSource

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
STORM = dict(jobs=300, rate=0.5, poisson=True, size="pow2:1-32", runtime="exp:120", seed=4)


@pytest.fixture(scope="module")
def fcfs_easy(tmp_path_factory):
    from workload.testing import wlgen_run
    runs = {}
    for policy in ("fcfs", "easy"):
        out = tmp_path_factory.mktemp(policy)
        wlgen_run(StormSource(**STORM), nodes=4, cpus=16, policy=policy, out=out)
        runs[policy] = load_run(out, name=policy)
    return runs


def test_easy_against_fcfs_waits_less_and_reorders_starts(fcfs_easy):
    comparison = compare_runs([fcfs_easy["fcfs"], fcfs_easy["easy"]], top=5)
    (a,) = comparison.agreements
    assert a.matched == 300 and a.only_base == a.only_other == 0
    # Backfilling moves jobs earlier: waits drop, and starts move earlier on average.
    assert a.wait_mean_diff_s < 0 and a.start_delta_mean_s < 0
    fcfs_wait, easy_wait = comparison.metrics["wait_mean_s"]
    assert a.wait_mean_diff_s == pytest.approx(easy_wait - fcfs_wait)
    # Same workload, so start order still agrees broadly, but not exactly.
    assert 0.3 < a.spearman < 0.999 and 0.2 < a.kendall < 0.99
    biggest = a.moved[0]
    assert abs(biggest.delta) == max(abs(m.delta) for m in a.moved)
    assert biggest.delta < 0           # the job that moved most was backfilled earlier
    fcfs_start = fcfs_easy["fcfs"].jobs[biggest.seq].start
    assert biggest.start_base == pytest.approx(fcfs_start)


def test_a_run_against_itself_agrees_perfectly(fcfs_easy):
    (a,) = compare_runs([fcfs_easy["easy"], fcfs_easy["easy"]]).agreements
    assert a.spearman == pytest.approx(1.0) and a.kendall == pytest.approx(1.0)
    assert a.start_delta_abs_mean_s == 0 and a.wait_mean_diff_s == 0


def test_rank_correlations_match_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    x = rng.integers(0, 30, 900).astype(float)
    y = x + rng.normal(0, 8, 900)
    y[::5] = 7.0
    assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
    tau, used = kendall_tau_b(x, y)
    assert used == 900 and tau == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)


def test_rank_correlations_by_hand():
    assert spearman(np.array([1, 2, 3, 4.0]), np.array([4, 3, 2, 1.0])) == pytest.approx(-1)
    # pairs: (1,2) conc, (1,3) conc, (2,3) disc -> (2-1)/3
    assert kendall_tau_b(np.array([1, 2, 3.0]), np.array([1, 3, 2.0]))[0] == pytest.approx(1 / 3)
    assert spearman(np.array([1.0, 1.0]), np.array([1.0, 2.0])) is None


@pytest.fixture
def wlgen():
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def test_compare_cli_prints_side_by_side_and_json(wlgen, fcfs_easy):
    a, b = str(fcfs_easy["fcfs"].path), str(fcfs_easy["easy"].path)
    text = wlgen("compare", a, b, "--top", "3")
    assert text.exit_code == 0
    assert "wait_mean_s" in text.stdout and "Kendall tau-b" in text.stdout
    data = json.loads(wlgen("compare", a, b, "--json").stdout)
    assert data["baseline"] == Path(a).name
    assert len(data["against_baseline"][0]["moved_most"]) == 10
    assert wlgen("compare", a).exit_code == 2


def test_matrix_runs_every_variant_then_compares(wlgen, tmp_path):
    result = wlgen("matrix", str(SCENARIOS / "backfill-vs-builtin.yaml"),
                   "--vary", "slurm.SchedulerType=sched/backfill,sched/builtin",
                   "--vary", "cluster.nodes=[2, 4]", "--set", "workload.jobs=60",
                   "--out", str(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    labels = [v["label"] for v in data["variants"]]
    assert labels == ["SchedulerType=sched/backfill,nodes=2",
                      "SchedulerType=sched/backfill,nodes=4",
                      "SchedulerType=sched/builtin,nodes=2",
                      "SchedulerType=sched/builtin,nodes=4"]
    assert all(v["passed"] and v["metrics"]["submitted"] == 60 for v in data["variants"])
    waits = dict(zip(labels, data["comparison"]["metrics"]["wait_mean_s"]))
    assert (waits["SchedulerType=sched/backfill,nodes=4"]
            < waits["SchedulerType=sched/builtin,nodes=2"])
    assert len(list(tmp_path.iterdir())) == 4


def test_matrix_refuses_a_bad_variant_before_running_any(wlgen, tmp_path):
    result = wlgen("matrix", str(SCENARIOS / "storm-500.yaml"),
                   "--vary", "slurm.SchedulerType=sched/backfill,sched/fifo",
                   "--out", str(tmp_path))
    assert result.exit_code == 2 and "slurm.SchedulerType='sched/fifo'" in result.stderr
    assert not list(tmp_path.iterdir())


def test_matrix_exits_1_when_a_variant_fails_its_checks(wlgen, tmp_path):
    result = wlgen("matrix", str(SCENARIOS / "storm-500.yaml"), "--vary", "cluster.nodes=1,8",
                   "--set", "workload.jobs=100", "--set", "checks.metrics.wait_mean_s.max=60",
                   "--out", str(tmp_path))
    assert result.exit_code == 1
    assert "variant nodes=1 FAILED" in result.stderr

"""``wlgen validate`` end to end: a small scenario once on real Slurm 22.05 and on the
simulator, then the report checked against the run directories it names.

The real run is the shipped builtin-fifo validation scenario shrunk (2 nodes, 30 jobs,
~40 s with the cluster); its numbers are recomputed here from the events, with scipy as
the reference for the rank correlations. Reusing that run (``--real``) must give the
same verdict (the simulator is deterministic), and a run of another scenario is refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.checks.observed import load_observed
from workload.checks.result import PASS
from workload.cli.validate import format_report
from workload.compare.agreement import first_submit, pair
from workload.compare.runs import load_run

from tests.clusters import per_run_name

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "validate" / "builtin-fifo.yaml"
SMALL = ["--set", "cluster.nodes=2", "--set", "workload.jobs=30"]
CLUSTER = per_run_name("wlv")
PAIR_KEYS = {"reference", "candidate", "matched", "first_submit_reference_s",
             "first_submit_candidate_s", "only_reference", "only_candidate", "kendall_tau_b",
             "spearman", "wait_reference", "wait_candidate", "wait_rel_error", "shift"}
SUMMARY_KEYS = {"real_runs", "kendall_tau_b", "kendall_tau_b_min", "spearman", "wait_real",
                "wait_sim", "wait_rel_error", "real_mean_wait_range",
                "sim_mean_wait_inside_real_range", "shift_mean_abs_s", "shift_median_s",
                "real_vs_real_kendall_tau_b", "launch_overhead_mean_s",
                "launch_overhead_median_s", "passed"}
REPORT_KEYS = {"scenario", "file", "slurm_version", "cluster", "out", "real_runs",
               "real_runs_reused", "run_dirs", "complete", "simulator", "launch_subtracted",
               "verdict", "verdict_launch_subtracted", "passed"}


def on_slurm(test):
    """The markers of a slow test that needs real Slurm in containers."""
    for mark in (pytest.mark.slow, pytest.mark.slurm, pytest.mark.podman,
                 pytest.mark.requires_root, pytest.mark.requires_podman):
        test = mark(test)
    return test


def invoke(*args: str):
    return CliRunner().invoke(cli, ["validate", str(SCENARIO), *args])


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """One real run (fresh cluster, removed after) and the simulator: (exit code, report)."""
    from workload.cluster import down

    out = tmp_path_factory.mktemp("validate") / "v"
    try:
        result = invoke(*SMALL, "--runs", "1", "--slurm", "bookworm", "--subtract-launch",
                        "--cluster", CLUSTER, "--out", str(out), "--json")
    finally:
        down(CLUSTER)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout), result.stderr


@on_slurm
def test_the_report_has_every_key_and_its_exit_code_matches_the_verdict(validated):
    code, report, stderr = validated
    assert set(report) == REPORT_KEYS
    assert report["slurm_version"] == "22.05" and report["real_runs"] == 1
    assert report["complete"] is True and report["launch_subtracted"] is True
    assert report["simulator"]["mode"] == "slurm"     # the scenario has a slurm section
    for key in ("verdict", "verdict_launch_subtracted"):
        verdict = report[key]
        assert set(verdict["summary"]) == SUMMARY_KEYS
        assert [set(r) for r in verdict["runs"]] == [PAIR_KEYS]
        assert verdict["real_vs_real"] == []        # one run: no noise floor to show
        assert len(verdict["launch_overhead_s"]) == 1
    assert code == (0 if report["passed"] else 1)
    assert report["passed"] == report["verdict_launch_subtracted"]["summary"]["passed"]
    assert stderr.rstrip().endswith("PASSED" if report["passed"] else "FAILED")
    assert json.loads((Path(report["out"]) / "validate.json").read_text()) == report


@on_slurm
def test_the_numbers_are_those_of_the_runs_it_names(validated):
    stats = pytest.importorskip("scipy.stats")
    _, report, _ = validated
    real = load_run(report["run_dirs"]["slurm-1"])
    sim = load_run(report["run_dirs"]["sim"])
    assert real.metrics["completed"] == 30 and sim.metrics["completed"] == 30
    seqs = sorted(s for s in real.jobs if real.jobs[s].start is not None)
    a = np.array([real.jobs[s].start for s in seqs])
    b = np.array([sim.jobs[s].start for s in seqs])
    run = report["verdict"]["runs"][0]
    assert run["matched"] == 30
    assert run["kendall_tau_b"] == pytest.approx(stats.kendalltau(a, b)[0], abs=1e-9)
    assert run["spearman"] == pytest.approx(stats.spearmanr(a, b)[0], abs=1e-9)
    real_wait = np.mean([real.jobs[s].start - real.jobs[s].submit for s in seqs])
    assert run["wait_reference"]["mean"] == pytest.approx(real_wait)
    assert run["wait_reference"]["mean"] == pytest.approx(real.metrics["wait_mean_s"])
    assert run["wait_candidate"]["mean"] == pytest.approx(sim.metrics["wait_mean_s"])
    shifts = (b - first_submit(sim)) - (a - first_submit(real))
    assert run["shift"]["mean"] == pytest.approx(shifts.mean())
    # Slurm against itself: perfect order, no shift.
    itself = pair(real, real)
    assert itself.kendall_tau_b == pytest.approx(1.0) and itself.shift.mean_abs == 0
    # Launch overhead: elapsed minus asked run time over the completed jobs. Slurm's
    # whole-second stamps move each elapsed by up to a second either way, so on a quiet
    # host (start-up ~0.1 s) the mean can come out just below 0: compare it with the
    # mean computed here from the run's own events and requests, within the stamps.
    asked = {seq: spec.runtime_s for seq, spec in load_observed(real.path).requests.items()}
    overheads = [(j.end - j.start) - asked[s] for s, j in real.jobs.items()
                 if j.start is not None and j.state == "COMPLETED"]
    summary = report["verdict"]["summary"]
    assert summary["launch_overhead_mean_s"] == pytest.approx(np.mean(overheads))
    assert summary["launch_overhead_mean_s"] > -1.0
    assert report["run_dirs"]["sim-launch"]
    padded = load_run(report["run_dirs"]["sim-launch"])
    assert padded.metrics["makespan_s"] >= sim.metrics["makespan_s"]


@on_slurm
def test_earlier_real_runs_are_judged_again_without_slurm(validated, tmp_path):
    _, report, _ = validated
    again = invoke(*SMALL, "--slurm", "bookworm", "--real", report["run_dirs"]["slurm-1"],
                   "--out", str(tmp_path / "again"), "--json")
    assert again.exit_code in (0, 1), again.stderr
    second = json.loads(again.stdout)
    assert second["real_runs_reused"] is True and second["cluster"] is None
    assert second["verdict"]["summary"] == report["verdict"]["summary"]
    other = invoke("--real", report["run_dirs"]["slurm-1"], "--out", str(tmp_path / "x"))
    assert other.exit_code == 2
    assert "field scenario.overrides=" in other.stderr and "Traceback" not in other.stderr


def test_a_reused_run_that_is_not_a_scenario_run_is_refused_in_one_line(tmp_path):
    storm = tmp_path / "storm"
    ran = CliRunner().invoke(cli, ["storm", "--jobs", "2", "--backend", "sim",
                                   "--out", str(storm)])
    assert ran.exit_code == 0, ran.output
    refused = invoke("--real", str(storm), "--out", str(tmp_path / "v"))
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert refused.stderr.strip() == (f"wlgen: error: {storm}: not a scenario run directory "
                                      "(no settings.json or scenario.yaml)")
    (storm / "scenario.yaml").write_bytes(b"name: caf\xe9\n")
    undecodable = invoke("--real", str(storm), "--out", str(tmp_path / "v"))
    assert undecodable.exit_code == 2
    assert f"{storm / 'scenario.yaml'}: not a UTF-8 text file" in undecodable.stderr


def test_the_text_report_reads_a_verdict_with_undefined_figures():
    report = {"scenario": "s", "slurm_version": "22.05", "real_runs": 1, "out": "o",
              "simulator": {"mode": "textbook"},
              "complete": False, "passed": False, "verdict": {
                  "thresholds": {"min_kendall": 0.9, "max_wait_error": 0.1},
                  "runs": [{"reference": "slurm-1", "kendall_tau_b": None, "spearman": None,
                            "wait_reference": {"mean": None, "median": None, "p95": None},
                            "wait_candidate": {"mean": None, "median": None, "p95": None},
                            "wait_rel_error": {"mean": None}, "shift": {
                                "mean_abs": None, "quantiles": {"p5": None, "p95": None}}}],
                  "summary": {"kendall_tau_b": None, "kendall_tau_b_min": None,
                              "spearman": None, "wait_real": {"mean": None},
                              "wait_sim": {"mean": None}, "wait_rel_error": {"mean": None},
                              "real_mean_wait_range": [None, None],
                              "sim_mean_wait_inside_real_range": None,
                              "real_vs_real_kendall_tau_b": None,
                              "launch_overhead_mean_s": None,
                              "launch_overhead_median_s": None, "passed": False}}}
    text = format_report(report)
    assert "a run lost jobs" in text and text.endswith("FAILED")
    assert "the simulator's is n/a" in text and "verdict (tau-b >= 0.9" in text
    assert "vs the simulator in textbook mode" in text


VALIDATION = sorted(SCENARIO.parent.glob("*.yaml"))


@pytest.mark.parametrize("path", VALIDATION, ids=[p.stem for p in VALIDATION])
def test_every_validation_scenario_is_big_enough_and_passes_its_checks_on_the_simulator(
        path, tmp_path):
    from workload.scenario import load_scenario, run_scenario

    scenario = load_scenario(path)
    assert scenario.cluster.nodes >= 8 and (scenario.workload.jobs or 0) >= 200
    assert scenario.slurm.faithful        # judged by the simulator's Slurm mode
    done = run_scenario(scenario, backend="sim", out=tmp_path / "run")
    assert done.passed and all(c.status == PASS for c in done.checks), \
        "\n".join(c.summary() for c in done.checks)     # n/a is not a pass
    assert done.result.metrics["completed"] == scenario.workload.jobs

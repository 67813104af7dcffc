"""wlgen validate: a scenario on real Slurm N times and on the simulator, and how they agree.

Every real run gets a fresh container cluster (fair-share usage and job ids must not
carry over from one run to the next); the simulator runs the same scenario once (it is
deterministic). The statistics are ``workload.compare.agreement``'s; the run
directories stay under ``--out`` for ``wlgen compare`` and ``wlgen report``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from workload.checks.observed import load_observed
from workload.cli.run import out_option, set_option
from workload.cluster.config import SUITES
from workload.compare.agreement import judge, launch_overheads, median_overheads
from workload.compare.runs import RunView, load_run
from workload.errors import InputError
from workload.rundir import (METRICS, SCENARIO, SETTINGS, new_run_id, read_json,
                             read_scenario_copy, read_settings, write_json)
from workload.run.runner import run_source
from workload.scenario import Scenario, load_scenario, run_scenario
from workload.scenario.backend import cluster_spec, scenario_backend, sim_notes
from workload.scenario.workloads import Shaped, build
from workload.spec import JobSpec

REPORT = "validate.json"


@click.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True,
              help="Real Slurm runs, each on a fresh container cluster.")
@click.option("--slurm", "suite", type=click.Choice(tuple(SUITES)), default=None,
              help="Slurm release of the container cluster: bookworm 22.05, trixie 24.11, "
                   "sid 26.05 (default: the scenario's cluster.slurm_version, else 22.05).")
@click.option("--min-kendall", type=float, default=0.9, show_default=True,
              help="Pass when the mean start-order Kendall tau-b over the runs is at least this.")
@click.option("--max-wait-error", type=float, default=0.1, show_default=True,
              help="Pass when |sim mean wait - Slurm mean wait| / Slurm mean wait is at most "
                   "this (Slurm's: the mean over the runs).")
@click.option("--subtract-launch", is_flag=True,
              help="Take the host's launch overhead out of the comparison: the simulator runs "
                   "again with each job held for its measured overhead too (median over the "
                   "runs); both verdicts are reported.")
@click.option("--cluster", default=None, metavar="NAME",
              help="Name of the container cluster the real runs use (default: wlv-<random>). "
                   "It is removed before and after every run.")
@click.option("--real", "real", multiple=True, metavar="RUN_DIR",
              type=click.Path(exists=True, file_okay=False),
              help="Judge these earlier real runs of the same scenario (their scenario.yaml "
                   "and --set must match) instead of running Slurm again; repeatable. The "
                   "simulator always runs anew.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the whole report as one JSON object on stdout.")
@out_option
@set_option
def validate(scenario: str, runs: int, suite: str | None, min_kendall: float,
             max_wait_error: float, subtract_launch: bool, cluster: str | None,
             real: tuple[str, ...], as_json: bool, out: str | None,
             overrides: tuple[str, ...]) -> None:
    """Run SCENARIO on real Slurm --runs times and on the simulator; report agreement.

    Per run and in summary: start-order Kendall tau-b and Spearman, mean / median / p95
    wait of each with the simulator's relative error, per-job start shifts, whether the
    simulator's mean wait lies inside Slurm's run-to-run range, the real runs against
    each other (Slurm's own noise) and the launch overhead of this host (Slurm's elapsed
    minus the asked run time). Exit 0 when agreement meets --min-kendall and
    --max-wait-error (with --subtract-launch: the verdict with overhead taken out),
    1 when it does not or a run lost a job, 2 on a bad scenario. Real runs take real
    time: about the scenario's makespan each, plus ~15 s for a fresh cluster.

    \b
    Examples:
      wlgen validate scenarios/validate/builtin-fifo.yaml --runs 1
      wlgen validate scenarios/validate/backfill-defaults.yaml --slurm trixie --json
      wlgen validate scenarios/validate/multifactor-age-size.yaml --subtract-launch \\
          --out runs/val-mf --min-kendall 0.8
      wlgen validate scenarios/validate/builtin-fifo.yaml --real runs/val-b/slurm-1
    """
    sets = list(overrides) + ([f"cluster.slurm_version='{SUITES[suite]}'"] if suite else [])
    loaded = load_scenario(scenario, sets)
    base = Path(out) if out else Path("runs") / new_run_id("validate")
    name = cluster or f"wlv-{secrets.token_hex(3)}"
    for note in sim_notes(loaded):
        click.echo(f"wlgen: note: {note}", err=True)
    earlier = [Path(d) for d in real]
    for run_dir in earlier:
        check_same_scenario(loaded, run_dir)
    if not earlier:
        cluster_spec(loaded, name)      # a scenario the container cluster cannot run: now
    report = run_validation(loaded, base, runs=runs, cluster=name, min_kendall=min_kendall,
                            max_wait_error=max_wait_error, subtract_launch=subtract_launch,
                            earlier=earlier)
    write_json(base / REPORT, report)
    click.echo(format_report(report), err=True)
    if as_json:
        click.echo(json.dumps(report, sort_keys=True, default=str))
    if not report["passed"]:
        raise SystemExit(1)


def run_validation(scenario: Scenario, base: Path, *, runs: int, cluster: str,
                   min_kendall: float, max_wait_error: float, subtract_launch: bool,
                   earlier: list[Path] | None = None) -> dict[str, object]:
    """The simulator once, Slurm ``runs`` times (or the ``earlier`` real runs), then the
    verdict(s) as one JSON object."""
    sim = run_scenario(scenario, backend="sim", out=base / "sim")
    click.echo(f"wlgen: validate: simulator done: {sim.result.run_dir}", err=True)
    real_dirs = list(earlier or [])
    complete = [sim.result.complete] + [_complete(d) for d in real_dirs]
    for i in range(1, (0 if real_dirs else runs) + 1):
        click.echo(f"wlgen: validate: Slurm run {i}/{runs} on cluster {cluster}", err=True)
        done = run_scenario(scenario, backend="slurm", out=base / f"slurm-{i}",
                            cluster=cluster, fresh=True)
        real_dirs.append(done.result.run_dir)
        complete.append(done.result.complete)
    reals = [load_run(d, name=f"slurm-{i}") for i, d in enumerate(real_dirs, 1)]
    runtimes = {s: spec.runtime_s for s, spec in load_observed(real_dirs[0]).requests.items()}
    plain = judge(reals, load_run(sim.result.run_dir, name="sim"), runtimes=runtimes,
                  min_kendall=min_kendall, max_wait_error=max_wait_error)
    run_dirs = {"sim": str(sim.result.run_dir),
                **{f"slurm-{i}": str(d) for i, d in enumerate(real_dirs, 1)}}
    report: dict[str, object] = {
        "scenario": scenario.name, "file": str(scenario.file),
        "slurm_version": scenario.cluster.slurm_version or SUITES["bookworm"],
        "cluster": None if earlier else cluster, "out": str(base),
        "real_runs": len(real_dirs), "real_runs_reused": bool(earlier), "run_dirs": run_dirs,
        "complete": all(complete),
        "simulator": {"mode": "slurm" if scenario.slurm.faithful else "textbook",
                      **_sim_settings(sim.result.run_dir)},
        "launch_subtracted": subtract_launch, "verdict": plain.to_dict()}
    verdict = plain
    if subtract_launch:
        pads = median_overheads([launch_overheads(r, runtimes) for r in reals])
        padded = _padded_sim_run(scenario, base / "sim-launch", pads)
        verdict = judge(reals, padded, runtimes=runtimes, min_kendall=min_kendall,
                        max_wait_error=max_wait_error)
        run_dirs["sim-launch"] = str(padded.path)
        report["verdict_launch_subtracted"] = verdict.to_dict()
    report["passed"] = bool(verdict.passed and all(complete))
    return report


def check_same_scenario(scenario: Scenario, run_dir: Path) -> None:
    """A reused real run must be of this scenario file with these --set values."""
    copy = read_scenario_copy(run_dir)
    if copy is None or not (run_dir / SETTINGS).exists():
        raise InputError(f"not a scenario run directory (no {SETTINGS} or {SCENARIO})",
                         file=str(run_dir))
    settings = read_settings(run_dir)
    if not str(settings.get("kind", "")).endswith("slurm"):
        raise InputError("not a real Slurm run (settings.json kind)", file=str(run_dir),
                         value=settings.get("kind"))
    ran = settings.get("scenario", {})
    if copy != scenario.file.read_text(encoding="utf-8") or \
            list(ran.get("overrides", [])) != list(scenario.overrides):
        raise InputError(f"this run is of another scenario file or other --set values "
                         f"than {scenario.file} {list(scenario.overrides)}",
                         file=str(run_dir), field="scenario.overrides",
                         value=ran.get("overrides"))


def _complete(run_dir: Path) -> bool:
    return not read_json(run_dir / METRICS).get("unaccounted")


def _padded_sim_run(scenario: Scenario, out: Path, pads: Mapping[int, float]) -> RunView:
    """The simulator with each job running its measured launch overhead longer (capped at
    its time limit, where Slurm would have killed it too)."""
    def pad(spec: JobSpec) -> JobSpec:
        extra = pads.get(spec.seq, 0.0)
        return spec.with_(runtime_s=min(spec.runtime_s + extra, spec.time_limit_s))

    source = build(scenario.workload, scenario.cluster.info())
    padded = Shaped(source, lambda specs: (pad(s) for s in specs))
    with scenario_backend(scenario, "sim") as engine:
        result = run_source(padded, engine, out=out, kind="validate-sim-launch",
                            closed_loop=scenario.workload.closed_loop,
                            settings={"scenario": scenario.describe(),
                                      "launch_overhead_added": True})
    return load_run(result.run_dir, name="sim+launch")


def _sim_settings(run_dir: Path) -> dict[str, object]:
    """What the simulator ran with, as its settings.json says (policy, ignored keys)."""
    settings = read_json(run_dir / SETTINGS) if (run_dir / SETTINGS).exists() else {}
    keep = ("policy", "sim_ignored", "backend", "sim")
    return {k: settings[k] for k in keep if k in settings}


# -- the text report --------------------------------------------------------------------
HEADER = (f"  {'run':<10}{'tau-b':>7}{'rho':>7}{'wait mean':>18}{'err':>8}"
          f"{'wait median':>16}{'wait p95':>16}{'|shift|':>9}{'shift p5..p95':>18}")


def format_report(report: Mapping[str, Any]) -> str:
    lines = [f"scenario {report['scenario']} on Slurm {report['slurm_version']}: "
             f"{report['real_runs']} real run(s) vs the simulator in "
             f"{report['simulator']['mode']} mode ({report['out']})"]
    ignored = report["simulator"].get("sim_ignored")
    if ignored:
        lines.append(f"  the simulator does not model: {', '.join(map(str, ignored))}")
    lines += _verdict_lines(report["verdict"], "simulator")
    if "verdict_launch_subtracted" in report:
        lines += ["", "with each job's launch overhead given to the simulator too:"]
        lines += _verdict_lines(report["verdict_launch_subtracted"], "simulator+launch")
    if not report["complete"]:
        lines.append("  a run lost jobs (see its accounting.json): the validation fails")
    lines.append("PASSED" if report["passed"] else "FAILED")
    return "\n".join(lines)


def _verdict_lines(verdict: Mapping[str, Any], label: str) -> list[str]:
    s, limits = verdict["summary"], verdict["thresholds"]
    low, high = s["real_mean_wait_range"]
    inside = s["sim_mean_wait_inside_real_range"]
    where = "n/a" if inside is None else "inside" if inside else "outside"
    noise = s["real_vs_real_kendall_tau_b"]
    lines = [f"  waits in s, Slurm / {label}; shift = {label} start - Slurm start", HEADER]
    lines += [_run_line(run) for run in verdict["runs"]]
    lines += [
        f"  summary: tau-b {_f(s['kendall_tau_b'], 3)} (min {_f(s['kendall_tau_b_min'], 3)}), "
        f"Spearman {_f(s['spearman'], 3)}; mean wait {_f(s['wait_real']['mean'])} / "
        f"{_f(s['wait_sim']['mean'])} ({_pct(s['wait_rel_error']['mean'])})",
        f"  Slurm's mean wait over the runs {_f(low)}..{_f(high)} s: the simulator's is "
        f"{where}" + ("" if noise is None else f"; Slurm run vs run tau-b {_f(noise, 3)}"),
        f"  launch overhead (elapsed - asked run time) per job: mean "
        f"{_f(s['launch_overhead_mean_s'], 2)} s, median {_f(s['launch_overhead_median_s'], 2)} s",
        f"  verdict (tau-b >= {limits['min_kendall']}, |mean wait error| <= "
        f"{limits['max_wait_error']:.0%}): {'pass' if s['passed'] else 'FAIL'}"]
    return lines


def _run_line(run: Mapping[str, Any]) -> str:
    ref, cand, err, shift = (run["wait_reference"], run["wait_candidate"],
                             run["wait_rel_error"], run["shift"])
    pair = lambda key: f"{_f(ref[key])} / {_f(cand[key])}"   # noqa: E731
    spread = f"{_f(shift['quantiles']['p5'])}..{_f(shift['quantiles']['p95'])}"
    return (f"  {run['reference']:<10}{_f(run['kendall_tau_b'], 3):>7}"
            f"{_f(run['spearman'], 3):>7}{pair('mean'):>18}{_pct(err['mean']):>8}"
            f"{pair('median'):>16}{pair('p95'):>16}{_f(shift['mean_abs']):>9}{spread:>18}")


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"

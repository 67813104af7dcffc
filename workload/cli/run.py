"""wlgen run: run a scenario file, then its checks; exit 1 if a check fails."""

from __future__ import annotations

import json

import click

from workload.cli.options import check_out_dir
from workload.cli.progress import Progress
from workload.cli.summary import format_table
from workload.scenario import ScenarioRun, load_scenario, run_scenario
from workload.scenario.backend import sim_notes, slurm_notes
from workload.scenario.faults import sim_faults

BACKEND_CHOICES = ("sim", "slurm")
backend_option = click.option(
    "--backend", type=click.Choice(BACKEND_CHOICES), default="sim", show_default=True,
    help="sim: the embedded simulator; slurm: real Slurm in a container cluster shaped by "
         "the scenario (see --cluster).")
cluster_option = click.option(
    "--cluster", "cluster", default="wlgen", show_default=True, metavar="NAME",
    help="--backend slurm: the container cluster's name. One already up with the "
         "scenario's shape is used and left up; otherwise one is brought up for the run "
         "and removed after it.")
out_option = click.option("--out", type=click.Path(file_okay=False), default=None,
                          callback=check_out_dir,
                          help="Where the run directory (or directories) go "
                               "(default: runs/<run id>).")
set_option = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Change a scenario value before it is validated (dotted key, YAML value); repeatable.")


@click.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@backend_option
@out_option
@click.option("--force", is_flag=True,
              help="Replace --out if it holds an earlier run (a non-empty --out is refused).")
@click.option("--epoch", type=float, metavar="UNIX_TIME",
              help="Unix time the run's clock starts from [simulation: 1767225600, "
                   "2026-01-01T00:00:00Z; real time: now].")
@click.option("--json", "as_json", is_flag=True,
              help="Print run dir, metrics and check results as one JSON object on stdout.")
@set_option
@cluster_option
@click.option("--keep-cluster", is_flag=True,
              help="--backend slurm: leave a cluster this run brought up running.")
def run(scenario: str, backend: str, out: str | None, as_json: bool,
        overrides: tuple[str, ...], cluster: str, keep_cluster: bool, force: bool = False,
        epoch: float | None = None) -> None:
    """Run a SCENARIO file (scenarios/README.md) and check the schedule it produced.

    Exit 0 when the run is complete and every check passed, 1 when a check failed or a
    job went unaccounted, 2 when the scenario (or a --set) breaks a rule.

    \b
    Examples:
      wlgen run scenarios/storm-500.yaml
      wlgen run scenarios/backfill-vs-builtin.yaml --set slurm.SchedulerType=sched/builtin
      wlgen run scenarios/hpc2n-compressed.yaml --set workload.jobs=200 --out runs/hpc2n --json
      wlgen run scenarios/backfill-vs-builtin.yaml --backend slurm --cluster hx1 \
          --set cluster.nodes=2 --set workload.jobs=30 --set workload.runtime=2-8
    """
    loaded = load_scenario(scenario, overrides)
    if backend == "sim":   # refused before any note says a fault will be skipped
        sim_faults(loaded.faults, str(loaded.file))
    for note in (sim_notes if backend == "sim" else slurm_notes)(loaded):
        click.echo(f"wlgen: note: {note}", err=True)
    progress = Progress(None)
    done = run_scenario(loaded, backend=backend, out=out, force=force, epoch=epoch,
                        on_progress=progress,
                        cluster=cluster, keep=keep_cluster)
    progress.close()
    show_run(done, as_json=as_json)
    if not done.passed:
        raise SystemExit(1)


def show_run(done: ScenarioRun, *, as_json: bool) -> None:
    """The summary and every check's verdict on stderr; the JSON object on stdout."""
    verdict = "passed" if done.passed else "FAILED"
    click.echo(f"wlgen: scenario {done.scenario.name} {verdict}: {done.result.run_dir}",
               err=True)
    click.echo(format_table(done.result.metrics), err=True)
    for check in done.checks:
        click.echo("  " + check.summary().replace("\n", "\n  "), err=True)
    if not done.result.complete:
        click.echo(f"  {done.result.metrics.get('unaccounted')} job(s) unaccounted for "
                   "(accounting.json)", err=True)
    if as_json:
        click.echo(json.dumps(run_json(done), sort_keys=True, default=str))


def run_json(done: ScenarioRun) -> dict[str, object]:
    return {"scenario": done.scenario.name, "run_dir": str(done.result.run_dir),
            "passed": done.passed, "metrics": done.result.metrics,
            "checks": [c.to_dict() for c in done.checks]}

"""wlgen matrix: run a scenario once per combination of varied values, then compare."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import click
import yaml

from workload.cli.compare import format_comparison
from workload.cli.run import backend_option, cluster_option, out_option, run_json, set_option
from workload.compare import compare_runs, load_run
from workload.errors import InputError
from workload.rundir import new_run_id
from workload.scenario import load_scenario, run_scenario


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``KEY=V1,V2`` or ``KEY=[V1, V2]`` (a YAML list, for values holding commas)."""
    key, sep, values = text.partition("=")
    if not sep or not key or not values:
        raise InputError("--vary takes KEY=V1,V2,...", value=text)
    if values.lstrip().startswith("["):
        try:
            items = yaml.safe_load(values)
        except yaml.YAMLError as err:
            raise InputError(f"--vary {key}: not a YAML list: {err}", value=values) from None
        listed = [yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...")
                  .strip() for v in items]
    else:
        listed = values.split(",")
    if len(listed) < 1 or any(not v for v in listed):
        raise InputError(f"--vary {key}: give non-empty values", value=values)
    return key, listed


@click.command()
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option("--vary", "varies", multiple=True, required=True, metavar="KEY=V1,V2",
              help="A scenario key and the values to try; repeat to cross several keys.")
@backend_option
@out_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the variants' verdicts and the comparison as JSON on stdout.")
@set_option
@cluster_option
def matrix(scenario: str, varies: tuple[str, ...], backend: str, out: str | None,
           as_json: bool, overrides: tuple[str, ...], cluster: str) -> None:
    """Run SCENARIO for every combination of --vary values, then compare the runs.

    The first combination is the baseline. Exit 1 if any variant failed a check. On
    --backend slurm every variant gets a fresh cluster NAME (removed before and after).

    \b
    Examples:
      wlgen matrix scenarios/backfill-vs-builtin.yaml \\
          --vary slurm.SchedulerType=sched/backfill,sched/builtin
      wlgen matrix scenarios/storm-500.yaml --vary cluster.nodes=4,8 \\
          --vary slurm.SchedulerType=sched/backfill,sched/builtin --set workload.jobs=200
    """
    axes = [parse_vary(v) for v in varies]
    base = Path(out) if out else Path("runs") / new_run_id("matrix")
    variants = [dict(zip([k for k, _ in axes], combo))
                for combo in itertools.product(*[values for _, values in axes])]
    loaded = [load_scenario(scenario, [*overrides, *(f"{k}={v}" for k, v in var.items())])
              for var in variants]     # validate every variant before running any
    done, views = [], []
    for i, (var, sc) in enumerate(zip(variants, loaded)):
        label = ",".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in var.items())
        result = run_scenario(sc, backend=backend, out=base / f"{i:02d}-{_slug(label)}",
                              cluster=cluster, fresh=True)
        verdict = "passed" if result.passed else "FAILED"
        click.echo(f"wlgen: variant {label} {verdict}: {result.result.run_dir}", err=True)
        done.append((label, result))
        views.append(load_run(result.result.run_dir, name=label))
    comparison = compare_runs(views)
    click.echo(format_comparison(comparison), err=as_json)
    if as_json:
        click.echo(json.dumps({"variants": [{"label": label, **run_json(r)} for label, r in done],
                               "comparison": comparison.to_dict()}, sort_keys=True, default=str))
    if not all(r.passed for _, r in done):
        raise SystemExit(1)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text)[:80]

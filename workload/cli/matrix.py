"""wlgen matrix: run a scenario once per combination of varied values, then compare."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import click
import yaml

from workload.cli.compare import format_comparison
from workload.cli.run import backend_option, cluster_option, out_option, set_option
from workload.compare import compare_runs, load_run
from workload.errors import InputError
from workload.rundir import new_run_id
from workload.scenario import load_scenario
from workload.scenario.sweep import Variant, VariantOutcome, run_variants
from workload.scenario.sweep_slurm import run_on_slurm


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
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Variants to run at once: local processes (simulator), or with "
                   "--executor slurm the array's tasks at once.")
@click.option("--executor", type=click.Choice(["local", "slurm"]), default="local",
              show_default=True,
              help="slurm: each simulator variant a task of one job array on the container "
                   "cluster --cluster (brought up with -j one-CPU nodes if not up, down after), "
                   "through submitit (pip install 'slurm-wlgen[slurm]').")
@backend_option
@out_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the variants' verdicts and the comparison as JSON on stdout.")
@set_option
@cluster_option
def matrix(scenario: str, varies: tuple[str, ...], jobs: int, executor: str, backend: str,
           out: str | None, as_json: bool, overrides: tuple[str, ...], cluster: str) -> None:
    """Run SCENARIO for every combination of --vary values, then compare the runs.

    The first combination is the baseline. Exit 1 if any variant failed a check or
    raised (reported with its error; the others still run and are compared). On
    --backend slurm every variant gets a fresh cluster NAME (removed before and after).
    -j N runs N simulator variants at once: the same run directories and comparison as
    -j 1. Ctrl-C cancels the variants not started, stops the running ones and compares
    what finished (exit 130). --executor slurm runs them as one job array on the
    container cluster NAME instead, which must share wlgen's checkout, its Python and
    --out with its nodes: one brought up by the sweep does.

    \b
    Examples:
      wlgen matrix scenarios/backfill-vs-builtin.yaml \\
          --vary slurm.SchedulerType=sched/backfill,sched/builtin
      wlgen matrix scenarios/storm-500.yaml --vary cluster.nodes=4,8 \\
          --vary slurm.SchedulerType=sched/backfill,sched/builtin --set workload.jobs=200
      wlgen matrix scenarios/backfill-vs-builtin.yaml --vary workload.seed=1,2,3,4 -j 2
      wlgen matrix scenarios/backfill-vs-builtin.yaml --vary workload.seed=1,2,3,4 \\
          --executor slurm --cluster sweep -j 2
    """
    if jobs > 1 and backend != "sim":
        raise InputError("-j > 1 runs simulator variants only: on --backend slurm each "
                         "variant brings up its own fresh cluster NAME, and several "
                         "clusters at once are not supported", field="-j", value=jobs)
    if executor == "slurm" and backend != "sim":
        raise InputError("--executor slurm runs simulator variants as Slurm jobs: a "
                         "variant cannot bring up a Slurm cluster inside a Slurm job",
                         field="--backend", value=backend)
    base = Path(out) if out else Path("runs") / new_run_id("matrix")
    variants = plan_variants(scenario, [parse_vary(v) for v in varies], overrides, base)
    if executor == "slurm":
        outcomes = run_on_slurm(variants, base=base, cluster=cluster, parallel=jobs,
                                on_done=_tell)
    else:
        outcomes = run_variants(variants, jobs=jobs, backend=backend, cluster=cluster,
                                on_done=_tell)
    for cancelled in (o for o in outcomes if o.status == "cancelled"):
        _tell(cancelled)
    report(outcomes, as_json)
    if any(o.status in ("cancelled", "interrupted") for o in outcomes):
        raise SystemExit(130)
    if not all(o.passed for o in outcomes):
        raise SystemExit(1)


def plan_variants(scenario: str, axes: list[tuple[str, list[str]]],
                  overrides: tuple[str, ...], base: Path) -> list[Variant]:
    """Every combination, loaded (so validated) before any runs, with its directory."""
    combos = [dict(zip([k for k, _ in axes], combo))
              for combo in itertools.product(*[values for _, values in axes])]
    variants = []
    for i, var in enumerate(combos):
        loaded = load_scenario(scenario, [*overrides, *(f"{k}={v}" for k, v in var.items())])
        label = ",".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in var.items())
        variants.append(Variant(label, loaded, base / f"{i:02d}-{_slug(label)}"))
    return variants


def report(outcomes: list[VariantOutcome], as_json: bool) -> None:
    """The comparison of every variant that ran (in the variants' order), then JSON."""
    ran = [o for o in outcomes if o.ran]
    comparison = compare_runs([load_run(o.out, name=o.label) for o in ran]) if ran else None
    if comparison is not None:
        click.echo(format_comparison(comparison), err=as_json)
    if as_json:
        click.echo(json.dumps({
            "variants": [{"label": o.label, "status": o.status, **o.summary,
                          **({"run_dir": str(o.out), "passed": False, "error": o.error}
                             if not o.ran else {})} for o in outcomes],
            "comparison": comparison.to_dict() if comparison else None},
            sort_keys=True, default=str))


def _tell(outcome: VariantOutcome) -> None:
    where = outcome.summary.get("run_dir", outcome.out)
    why = f" ({outcome.error})" if outcome.error else ""
    click.echo(f"wlgen: variant {outcome.label} {outcome.status}: {where}{why}", err=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text)[:80]

"""wlgen check: the invariant checks on any run directory; exit 1 if one fails."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from workload.checks.plan import check_run_dir
from workload.checks.registry import INVARIANTS
from workload.checks.result import FAIL, CheckResult


@click.command(epilog="""\b
Examples:
  wlgen check runs/20261128-120000-storm-ab12
  wlgen check runs/hpc2n --invariant within_time_limit --invariant no_overcommit
  wlgen check runs/slurm-storm --json""")
@click.argument("run_dir", type=click.Path())
@click.option("--invariant", "invariants", multiple=True, metavar="NAME",
              type=click.Choice(sorted(INVARIANTS)),
              help="Run only this invariant (repeatable) "
                   f"[default: the run's own checks]. One of: {', '.join(sorted(INVARIANTS))}.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the verdicts as one JSON object on stdout.")
def check(run_dir: str, invariants: tuple[str, ...], as_json: bool) -> None:
    """Run the invariant checks on RUN_DIR, any run's directory (storm, replay or
    scenario; simulator or Slurm).

    A scenario run's directory is checked with the checks (and options) it ran with
    (checks.json); any other with the invariants true of every policy. Every run is
    also checked for having ended by itself (run_complete: not interrupted, stalled
    or stopped by an input error).

    Exit 0 when every check passes (or does not apply), 1 when one fails, 2 when
    RUN_DIR is not a run directory.
    """
    obs, results = check_run_dir(run_dir, invariants)
    failed = [r for r in results if r.status == FAIL]
    _show(run_dir, results, failed, obs.metrics.get("stopped_by"), as_json=as_json)
    if failed:
        raise SystemExit(1)


def _show(run_dir: str, results: Sequence[CheckResult], failed: Sequence[CheckResult],
          stopped_by: object, *, as_json: bool) -> None:
    verdict = f"{len(failed)} of {len(results)} failed" if failed else "passed"
    click.echo(f"wlgen: check {run_dir}: {verdict}", err=True)
    if stopped_by:
        click.echo(f"  the run was stopped by {stopped_by}", err=True)
    for result in results:
        click.echo("  " + result.summary().replace("\n", "\n  "), err=True)
    if as_json:
        click.echo(json.dumps({"run_dir": run_dir, "passed": not failed,
                               "stopped_by": stopped_by,
                               "checks": [r.to_dict() for r in results]},
                              sort_keys=True, default=str))

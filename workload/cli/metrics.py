"""wlgen metrics: the run metrics of a run directory or an SWF file."""

from __future__ import annotations

from pathlib import Path

import click

from workload.cli.summary import emit_summary
from workload.run.remeasure import measure_run_dir, measure_swf


@click.command()
@click.argument("target", type=click.Path(exists=True))
@click.option("--procs", type=click.IntRange(min=1),
              help="System size for utilisation (default: the SWF header's MaxProcs).")
@click.option("--lenient", is_flag=True, help="Skip malformed SWF lines (counted).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def metrics(target: str, procs: int | None, lenient: bool, as_json: bool) -> None:
    """Print the metrics of a run directory (from its events) or of an SWF file.

    \b
    Examples:
      wlgen metrics runs/20261128-120000-storm-ab12
      wlgen metrics schedule.swf --procs 256 --json
    """
    path = Path(target)
    result = (measure_run_dir(path) if path.is_dir()
              else measure_swf(path, procs=procs, strict=not lenient))
    emit_summary(result, as_json=as_json, title=f"wlgen: metrics of {path}")

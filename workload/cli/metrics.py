"""wlgen metrics: the run metrics of a run directory or an SWF file."""

from __future__ import annotations

from pathlib import Path

import click

from workload.cli.summary import emit_summary
from workload.run.remeasure import measure_run_dir, measure_swf
from workload.run.swfheader import END_STATES, parse_end_states
from workload.swf import SwfReader


@click.command()
@click.argument("target", type=click.Path(exists=True))
@click.option("--procs", type=click.IntRange(min=1),
              help="System size for utilisation (default: the SWF header's MaxProcs).")
@click.option("--lenient", is_flag=True, help="Skip malformed SWF lines (counted).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def metrics(target: str, procs: int | None, lenient: bool, as_json: bool) -> None:
    """Print the metrics of a run directory (from its events) or of an SWF file.

    A run directory's metrics come from events.jsonl (each job's own end state) and
    carry the run's skipped input from metrics.json. In an SWF file status 0 stands for
    every end but completed (1) and cancelled (5); a wlgen schedule.swf's
    WlgenEndStates header line restores TIMEOUT, NODE_FAIL... while it fits the records.

    \b
    Examples:
      wlgen metrics runs/20261128-120000-storm-ab12
      wlgen metrics schedule.swf --procs 256 --json
    """
    path = Path(target)
    if path.is_dir():
        result = measure_run_dir(path)
    else:
        result = measure_swf(path, procs=procs, strict=not lenient)
        _say_what_status_0_means(path, result)
    emit_summary(result, as_json=as_json, title=f"wlgen: metrics of {path}")


def _say_what_status_0_means(path: Path, result: dict[str, object]) -> None:
    """SWF has one code (0) for every end but completed and cancelled: say how it was read."""
    if not result.get("failed"):
        return
    reader = SwfReader(path)
    reader.close()
    states = parse_end_states(reader.header.get(END_STATES))
    if states is None or states["FAILED"] != result["failed"]:
        click.echo(f"wlgen: {path}: status 0 counted as failed (SWF has no code for "
                   "TIMEOUT, NODE_FAIL...; a wlgen run directory has each job's state)",
                   err=True)

"""wlgen inspect: a trace's header and workload statistics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import click

from workload.sources.stats import inspect_trace


@click.command()
@click.argument("trace", type=click.Path(exists=True, dir_okay=False))
@click.option("--lenient", is_flag=True, help="Skip malformed lines (counted).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def inspect(trace: str, lenient: bool, as_json: bool) -> None:
    """Print a trace's header and its jobs, span, load, size and runtime distributions.

    \b
    Example:
      wlgen inspect trace.swf
    """
    stats = inspect_trace(Path(trace), strict=not lenient)
    if as_json:
        click.echo(json.dumps(stats))
        return
    header = cast("list[tuple[str, str]]", stats.pop("header"))   # the trace's Header.entries
    for name, text in header:
        click.echo(f"; {name}: {text}" if name else f"; {text}")
    for key, value in stats.items():
        if isinstance(value, dict):
            value = "  ".join(f"{k}={v:,.6g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in value.items()) or "-"
        elif isinstance(value, float):
            value = f"{value:,.4g}"
        click.echo(f"{key:>16}: {value}")

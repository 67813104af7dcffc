"""wlgen report: a self-contained HTML report of one or more runs."""

from __future__ import annotations

import click

from workload.report import write_report


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="report.html",
              show_default=True, help="The HTML file to write.")
@click.option("--title", default="wlgen report", show_default=True, help="Page title.")
def report(runs: tuple[str, ...], output: str, title: str) -> None:
    """Write an HTML report of RUN directories: metrics and checks tables, utilisation
    and queue length over time, wait-time CDF (runs overlaid), per-user share, and a
    Gantt chart per run. One file, inline SVG, no scripts, nothing fetched.

    \b
    Examples:
      wlgen report runs/20261128-120000-storm-ab12
      wlgen report runs/fcfs runs/easy -o fcfs-vs-easy.html --title "FCFS vs EASY"
    """
    path = write_report(runs, output, title=title)
    click.echo(f"wlgen: report of {len(runs)} run(s): {path}", err=True)

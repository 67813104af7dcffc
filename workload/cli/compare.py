"""wlgen compare: runs side by side, and job by job against the first."""

from __future__ import annotations

import json

import click

from workload.compare import Comparison, compare_runs, load_run


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--top", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the jobs that moved most to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON on stdout.")
def compare(runs: tuple[str, ...], top: int, as_json: bool) -> None:
    """Compare RUN directories of the same workload (the first is the baseline).

    Metrics side by side; then, for each other run, the jobs matched by seq: mean and
    mean absolute start-time difference, mean wait difference, rank correlation of start
    order (Spearman, Kendall tau-b) and the jobs that moved most. Use it for simulator vs
    real Slurm (agreement), or one configuration against another.

    \b
    Examples:
      wlgen compare runs/fcfs runs/easy
      wlgen compare runs/sim runs/slurm --top 20 --json
    """
    if len(runs) < 2:
        raise click.UsageError("give at least two run directories")
    comparison = compare_runs([load_run(r) for r in runs], top=top)
    show_comparison(comparison, as_json=as_json)


def show_comparison(comparison: Comparison, *, as_json: bool) -> None:
    click.echo(format_comparison(comparison), err=as_json)
    if as_json:
        click.echo(json.dumps(comparison.to_dict(), sort_keys=True, default=str))


def format_comparison(comparison: Comparison) -> str:
    names = comparison.names
    width = max(12, *(len(n) for n in names))
    lines = [f"{'metric':<22}" + "".join(f"{n:>{width + 2}}" for n in names)]
    for key, values in comparison.metrics.items():
        lines.append(f"{key:<22}" + "".join(f"{_cell(v):>{width + 2}}" for v in values))
    for a in comparison.agreements:
        lines += ["", f"{a.name} vs {names[0]}: {a.matched} jobs started in both "
                      f"({a.only_base} only in {names[0]}, {a.only_other} only in {a.name})"]
        if not a.matched:
            continue
        lines.append(f"  start moved: mean {a.start_delta_mean_s:+,.1f} s, mean |moved| "
                     f"{a.start_delta_abs_mean_s:,.1f} s; wait mean difference "
                     f"{a.wait_mean_diff_s:+,.1f} s")
        lines.append(f"  start order: Spearman {_cell(a.spearman)}, Kendall tau-b "
                     f"{_cell(a.kendall)} (over {a.kendall_n} jobs)")
        if a.moved:
            lines.append("  moved most:  seq        start (base)      start (this)        moved")
        lines += [f"  {m.seq:>12} {m.start_base:>17,.1f} {m.start_other:>17,.1f} "
                  f"{m.delta:>+12,.1f} s" for m in a.moved]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)

"""`wlgen events`: look at a run's lifecycle events (events.jsonl), live or after the fact."""

from __future__ import annotations

from pathlib import Path

import click

from workload.errors import InputError
from workload.event import Event
from workload.rundir import EVENTS, METRICS, event_from_line
from workload.sinks.jsonl import follow_lines
from workload.sinks.logstash import iso8601


def readable(event: Event) -> str:
    """One aligned line: time, seq, job, kind, state, user@partition, nodes, exit, reason."""
    where = f"{event.user or '-'}@{event.partition or '-'}"
    parts = [iso8601(event.time), f"#{event.seq:<7}", f"job {event.job_id:<10}",
             f"{event.kind:<6}", f"{event.state:<13}", where]
    if event.nodes:
        parts.append(",".join(event.nodes))
    if event.exit_code is not None:
        parts.append(f"exit={event.exit_code}")
    if event.reason:
        parts.append(event.reason)
    return "  ".join(parts)


@click.group()
def events() -> None:
    """Look at a run's lifecycle events.

    \b
    Example:
      wlgen events tail runs/20261128-120000-storm-ab12 --until-done
    """


@events.command()
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "raw", is_flag=True, help="Print the raw JSON lines.")
@click.option("--until-done", is_flag=True,
              help="Stop once the run has finished (its metrics.json appeared).")
@click.option("--poll", type=click.FloatRange(min=0.01), default=0.2, show_default=True,
              metavar="SECONDS", help="How often to look for new events.")
def tail(run_dir: Path, raw: bool, until_done: bool, poll: float) -> None:
    """Follow RUN_DIR/events.jsonl as the run writes it, like tail -f (Ctrl-C stops).

    \b
    Examples:
      wlgen events tail runs/20261128-120000-storm-ab12
      wlgen events tail RUN_DIR --until-done --json | jq .state
    """
    path = run_dir / EVENTS
    done = (lambda: (run_dir / METRICS).exists()) if until_done else (lambda: False)
    number = 0
    try:
        for number, line in enumerate(follow_lines(path, done, poll), start=1):
            click.echo(line if raw else readable(event_from_line(line, path, number)))
    except KeyboardInterrupt:
        pass   # Ctrl-C is how a follow ends: not an error
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text: not a lifecycle event", file=str(path),
                         line=number + 1) from None

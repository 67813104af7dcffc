"""Entry point: a click group whose subcommands load lazily, so `wlgen --help` is fast.

Each subcommand lives in its own module; add one line to COMMANDS to register it.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback

import click

from workload import __version__
from workload.errors import WlgenError

COMMANDS: dict[str, str] = {
    "events": "workload.cli.events:events",
    "replay": "workload.cli.replay:replay",
    "convert": "workload.cli.convert:convert",
    "storm": "workload.cli.storm:storm",
    "generate": "workload.cli.generate:generate",
    "metrics": "workload.cli.metrics:metrics",
    "inspect": "workload.cli.inspect:inspect",
    "cluster": "workload.cli.dashboard:cluster",   # the group, with `cluster dashboard`
    "run": "workload.cli.run:run",
    "check": "workload.cli.check:check",
    "compare": "workload.cli.compare:compare",
    "matrix": "workload.cli.matrix:matrix",
    "report": "workload.cli.report:report",
    "fabric": "workload.cli.fabric:fabric",
    "validate": "workload.cli.validate:validate",
}


class LazyGroup(click.Group):
    """Imports a subcommand's module only when that subcommand is used or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WlgenError as err:
            if ctx.obj and ctx.obj.get("verbose"):
                # The traceback on request, and the same exit code as without -v.
                traceback.print_exc(file=sys.stderr)
            click.echo(f"wlgen: error: {err}", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show debug logs and full tracebacks.")
@click.version_option(__version__, prog_name="wlgen")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Generate Slurm workloads, run them on a simulated or real cluster, measure the schedule.

    \b
    Examples:
      wlgen storm --jobs 500
      wlgen replay trace.swf --speedup 600 --policy easy
      wlgen generate lublin --jobs 10000 --procs 256 --seed 1 -o model.swf
      wlgen validate scenarios/validate/backfill-defaults.yaml --runs 3
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="wlgen: %(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def main() -> None:
    cli(prog_name="wlgen")


if __name__ == "__main__":
    main()

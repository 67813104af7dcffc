"""Options shared by every command that runs a workload: same names everywhere."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from workload.backends.select import BACKENDS
from workload.backends.sim.policy import POLICIES
from workload.cli.sinkopts import sink_options

F = Callable[..., object]


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


SLURM_KEYS = ("client", "cluster", "slurm_url", "slurm_token", "controller_timeout")


def _collect_slurm(command: F) -> F:
    """The Slurm options reach the command as one argument, ``slurm`` (the ones given),
    which it passes on explicitly (cli.execute, and the sink options for --cluster)."""
    @functools.wraps(command)
    def wrapper(*args: object, **kwargs: object) -> object:
        given = {key: kwargs.pop(key) for key in SLURM_KEYS}
        kwargs["slurm"] = {key: value for key, value in given.items() if value is not None}
        return command(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


def _slurm_option(*decls: str, **kwargs: object) -> Callable[[F], F]:
    return click.option(*decls, **kwargs)


slurm_options = _stack(
    _slurm_option("--slurm-client", "client", type=click.Choice(["cli", "rest"]),
                  help="How to reach real Slurm: client commands or slurmrestd [cli]."),
    _slurm_option("--cluster", "cluster", metavar="NAME",
                  help="A wlgen container cluster (`wlgen cluster up --name NAME`) [wlgen; "
                       "with SLURM_CONF set, this host's Slurm clients]."),
    _slurm_option("--slurm-url", "slurm_url", metavar="URL",
                  help="An existing slurmrestd (or env SLURM_URL); implies --slurm-client rest."),
    _slurm_option("--slurm-token", "slurm_token", metavar="JWT",
                  help="JWT for --slurm-url (or env SLURM_JWT)."),
    _slurm_option("--controller-timeout", "controller_timeout", metavar="SECONDS",
                  type=click.FloatRange(min=0, min_open=True),
                  help="End the run (exit 1) when slurmctld stays unreachable this long [300]."),
    _collect_slurm,
)

cluster_options = _stack(
    slurm_options,
    click.option("--nodes", type=click.IntRange(min=1), help="Nodes in the cluster."),
    click.option("--cpus", type=click.IntRange(min=1), help="CPUs per node."),
    click.option("--mem", type=click.IntRange(min=1), default=64_000, show_default=True,
                 help="Memory per node, MB."),
    click.option("--policy", type=click.Choice(POLICIES), default="easy", show_default=True,
                 help="Simulator scheduling policy (FCFS, or EASY backfilling)."),
    click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
                 help="sim: the embedded simulator; slurm: real Slurm; auto: Slurm if reachable."),
    click.option("--realtime", is_flag=True,
                 help="Run the simulator in wall-clock time (to watch events in live sinks)."),
)

run_options = _stack(
    sink_options,
    click.option("--out", type=click.Path(file_okay=False), default=None,
                 help="Run directory (default: runs/<run id>)."),
    click.option("--force", is_flag=True,
                 help="Replace --out if it holds an earlier run (a non-empty --out is refused)."),
    click.option("--epoch", type=float, metavar="UNIX_TIME",
                 help="Unix time the run's clock starts from [simulation: 1767225600, "
                      "2026-01-01T00:00:00Z; real time: now]."),
    click.option("--json", "as_json", is_flag=True,
                 help="Print the final metrics as one JSON object on stdout."),
    click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
    click.option("--payload", default="sleep", show_default=True,
                 help="Kernel each job runs on real Slurm (sleep for pure scheduler runs)."),
    click.option("--cancel-on-exit", is_flag=True,
                 help="On Ctrl-C, cancel the run's jobs that are still queued or running."),
)

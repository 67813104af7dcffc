"""Options shared by every command that runs a workload: same names everywhere."""

from __future__ import annotations

import functools
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from workload.backends.select import BACKENDS
from workload.backends.sim.policy import POLICIES
from workload.errors import InputError, quote
from workload.gres import parse_gpus
from workload.cli.sinkopts import sink_options

F = Callable[..., object]

# Sizes past these are refused up front: the simulator holds one object per node, so a
# typo'd --nodes 10**12 would grow memory until the machine gives out.
MAX_NODES = 100_000
MAX_CPUS = 100_000
MAX_SEED = 2**32 - 1


class FiniteFloat(click.ParamType):
    """A float that is finite (no nan, no inf) and above ``low`` (or at least, ``closed``)."""

    name = "float"

    def __init__(self, low: float | None = None, *, closed: bool = False) -> None:
        self.low, self.closed = low, closed

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        try:
            number = float(str(value))
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.low is not None and (number < self.low if self.closed else number <= self.low):
            self.fail(f"{value!r} must be {'>=' if self.closed else '>'} {self.low:g}",
                      param, ctx)
        return number


@contextmanager
def as_options(names: dict[str, str]) -> Iterator[None]:
    """A source's InputError about parameter ``field`` becomes a usage error naming the
    option the user gave (sources name their parameters, as scenario files do)."""
    try:
        yield
    except InputError as err:
        if err.field not in names:
            raise
        raise click.BadParameter(f"{quote(err.value)}: {err.rule}",
                                 param_hint=f"'{names[err.field]}'") from None


def check_out_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--out must be a directory wlgen can create or write into: found now, as a usage
    error, not as a traceback after the backend is up."""
    if value is None:
        return None
    path = Path(value).absolute()
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise click.BadParameter(f"{value!r}: {existing} is not a directory",
                                 ctx=ctx, param=param)
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".wlgen-probe-", dir=existing))
    except OSError as err:
        raise click.BadParameter(f"{value!r}: cannot create a directory in {existing}: "
                                 f"{err.strerror}", ctx=ctx, param=param) from None
    return value


class GpuShape(click.ParamType):
    """``--gpus G[:TYPE]``: GPUs per node, as (count, type or None)."""

    name = "G[:TYPE]"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> tuple[int, str | None]:
        if isinstance(value, tuple):
            return value
        try:
            return parse_gpus(str(value))
        except InputError as err:
            self.fail(f"{value!r}: {err.rule}", param, ctx)


GPUS = GpuShape()
GPU_OPTION = click.option("--gpus", type=GPUS, default=None,
                          help="GPUs per node, G or G:TYPE (e.g. 2, 4:a100) [0].")
POSITIVE = FiniteFloat(0.0)          # speedups, rates, limits: 0 would mean "not given"
NON_NEGATIVE = FiniteFloat(0.0, closed=True)
FINITE = FiniteFloat()
SEED = click.IntRange(0, MAX_SEED)


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
    return wrapper


def _slurm_option(*decls: str, **kwargs: Any) -> Callable[[F], F]:
    # Any: click.option's own keyword arguments, each with its own type
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
    click.option("--nodes", type=click.IntRange(1, MAX_NODES), help="Nodes in the cluster."),
    click.option("--cpus", type=click.IntRange(1, MAX_CPUS), help="CPUs per node."),
    click.option("--mem", type=click.IntRange(min=1), default=64_000, show_default=True,
                 help="Memory per node, MB."),
    GPU_OPTION,
    click.option("--policy", type=click.Choice(POLICIES), default="easy", show_default=True,
                 help="Simulator scheduling policy: FCFS, EASY backfilling, or Slurm's own "
                      "(priority, fair-share, main loop, backfill; the container cluster's "
                      "settings)."),
    click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
                 help="sim: the embedded simulator; slurm: real Slurm; auto: Slurm if reachable."),
    click.option("--realtime", is_flag=True,
                 help="Run the simulator in wall-clock time (to watch events in live sinks)."),
)

run_options = _stack(
    sink_options,
    click.option("--out", type=click.Path(file_okay=False), default=None,
                 callback=check_out_dir,
                 help="Run directory (default: runs/<run id>)."),
    click.option("--force", is_flag=True,
                 help="Replace --out if it holds an earlier run (a non-empty --out is refused)."),
    click.option("--epoch", type=float, metavar="UNIX_TIME",
                 help="Unix time the run's clock starts from [simulation: 1767225600, "
                      "2026-01-01T00:00:00Z; real time: now]."),
    click.option("--json", "as_json", is_flag=True,
                 help="Print the final metrics as one JSON object on stdout."),
    click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed."),
    click.option("--payload", default="sleep", show_default=True,
                 help="Kernel each job runs on real Slurm (sleep for pure scheduler runs)."),
    click.option("--cancel-on-exit", is_flag=True,
                 help="On Ctrl-C, cancel the run's jobs that are still queued or running."),
)

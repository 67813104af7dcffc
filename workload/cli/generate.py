"""wlgen generate: write a model workload as an SWF trace."""

from __future__ import annotations

import click

from workload.cli.options import FiniteFloat, SEED
from workload.errors import InputError
from workload.sources.estimates import EstimateModel
from workload.sources.lublin import KINDS, LublinSource
from workload.swf import write_swf


@click.group()
def generate() -> None:
    """Write synthetic workloads as SWF traces.

    \b
    Example:
      wlgen generate lublin --jobs 10000 --procs 256 --seed 1 -o lublin.swf
    """


@generate.command()
@click.option("--jobs", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--procs", type=click.IntRange(min=2), default=128, show_default=True,
              help="System size (processors) the model is made for.")
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option("--kind", type=click.Choice(KINDS), default="mixed", show_default=True,
              help="Parameter set: batch and interactive mixed, one of them, or typeless.")
@click.option("--max-estimate", type=FiniteFloat(0.0), default=172_800, show_default=True,
              help="Largest user runtime estimate (s), the queue's limit.")
@click.option("--users", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Output file (.swf, or .swf.gz to compress).")
def lublin(jobs: int, procs: int, seed: int, kind: str, max_estimate: float, users: int,
           output: str) -> None:
    """A Lublin-Feitelson 2003 workload with Tsafrir-style runtime estimates.

    \b
    Example:
      wlgen generate lublin --jobs 10000 --procs 256 --seed 1 -o lublin.swf
    """
    source = LublinSource(jobs, procs, kind=kind, seed=seed, users=users,
                          estimates=EstimateModel(max_s=max_estimate, seed=seed))
    try:
        count = write_swf(output, source.header(), source.records())
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror}", file=output) from None
    click.echo(f"wlgen: wrote {count} jobs to {output}", err=True)

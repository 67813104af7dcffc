"""wlgen generate: write a model workload as an SWF trace."""

from __future__ import annotations

import click

from workload.cli.options import FINITE, FiniteFloat, SEED, as_options
from workload.errors import InputError
from workload.sources.estimates import EstimateModel
from workload.sources.jsonl import write_jsonl
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
@click.option("--job-gpus", metavar="SPEC",
              help="Mark GPU jobs asking for N, LOW-HIGH or pow2:LOW-HIGH GPUs (needs a "
                   ".jsonl output: SWF has no GPU field).")
@click.option("--gpu-share", type=FINITE, metavar="F",
              help="Fraction of jobs that use GPUs [1 with --job-gpus].")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Output file (.swf, or .swf.gz to compress; .jsonl: wlgen's job format).")
def lublin(jobs: int, procs: int, seed: int, kind: str, max_estimate: float, users: int,
           output: str, job_gpus: str | None = None, gpu_share: float | None = None) -> None:
    """A Lublin-Feitelson 2003 workload with Tsafrir-style runtime estimates.

    \b
    Example:
      wlgen generate lublin --jobs 10000 --procs 256 --seed 1 -o lublin.swf
      wlgen generate lublin --jobs 1000 --procs 64 --job-gpus 1-4 --gpu-share 0.2 -o gpu.jsonl
    """
    with as_options({"job_gpus": "--job-gpus", "gpu_share": "--gpu-share"}):
        source = LublinSource(jobs, procs, kind=kind, seed=seed, users=users,
                              estimates=EstimateModel(max_s=max_estimate, seed=seed),
                              job_gpus=job_gpus, gpu_share=gpu_share)
    as_jsonl = output.endswith(".jsonl")
    if source.gpus and not as_jsonl:
        raise click.BadParameter(f"{output!r}: SWF has no GPU field; write .jsonl "
                                 "(wlgen's job format) to keep the GPUs",
                                 param_hint="'-o'")
    try:
        count = (write_jsonl(output, source, {"source": source.describe()}) if as_jsonl else
                 write_swf(output, source.header(), source.records()))
    except OSError as err:
        raise InputError(f"cannot write: {err.strerror}", file=output) from None
    click.echo(f"wlgen: wrote {count} jobs to {output}", err=True)

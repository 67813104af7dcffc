"""wlgen storm: many jobs at once, at a rate, or as a Poisson process."""

from __future__ import annotations

import click

from workload.cli.execute import execute, open_backend, resolve_backend, sim_shape
from workload.cli.options import FINITE, POSITIVE, as_options, cluster_options, run_options
from workload.sinks.config import SinkOptions
from workload.sources import StormSource


OPTIONS = {"jobs": "--jobs", "rate": "--rate", "poisson": "--poisson", "size": "--size",
           "runtime": "--runtime", "time_limit_s": "--time-limit", "users": "--users",
           "seed": "--seed", "job_gpus": "--job-gpus", "gpu_share": "--gpu-share"}


@click.command()
@click.option("--jobs", type=click.IntRange(min=0), default=500, show_default=True,
              help="How many jobs.")
@click.option("--rate", type=POSITIVE, help="Jobs per second (default: all at once).")
@click.option("--poisson", is_flag=True, help="Random (exponential) gaps at --rate.")
@click.option("--size", default="1", show_default=True,
              help="Tasks per job: N, LOW-HIGH, pow2:LOW-HIGH or exp:MEAN.")
@click.option("--runtime", default="10-60", show_default=True,
              help="Run time (s): N, LOW-HIGH or exp:MEAN.")
@click.option("--time-limit", type=POSITIVE,
              help="Time limit (s); default 2x run time, whole minutes.")
@click.option("--users", type=click.IntRange(min=1), default=1, show_default=True,
              help="Spread jobs over N users.")
@click.option("--job-gpus", metavar="SPEC",
              help="GPUs a GPU job asks for: N, LOW-HIGH or pow2:LOW-HIGH (default: none).")
@click.option("--gpu-share", type=FINITE, metavar="F",
              help="Fraction of jobs that use GPUs [1 with --job-gpus].")
@cluster_options
@run_options
def storm(jobs: int, rate: float | None, poisson: bool, size: str, runtime: str,
          time_limit: float | None, users: int, nodes: int | None, cpus: int | None, mem: int,
          policy: str, backend: str, realtime: bool, out: str | None, as_json: bool, seed: int,
          payload: str,
          cancel_on_exit: bool, sinks: SinkOptions, slurm: dict[str, object], force: bool = False,
          epoch: float | None = None, gpus: tuple[int, str | None] | None = None,
          job_gpus: str | None = None, gpu_share: float | None = None) -> None:
    """Fire a submission storm at the cluster.

    \b
    Examples:
      wlgen storm --jobs 500
      wlgen storm --jobs 10000 --rate 200 --poisson --size pow2:1-16 --runtime exp:30
      wlgen storm --jobs 500 --backend slurm --json
      wlgen storm --jobs 200 --nodes 2 --cpus 4 --gpus 2 --job-gpus 1-2 --gpu-share 0.5
    """
    with as_options(OPTIONS):
        source = StormSource(jobs, rate=rate, poisson=poisson, size=size, runtime=runtime,
                             time_limit_s=time_limit, users=users, seed=seed,
                             job_gpus=job_gpus, gpu_share=gpu_share)
    runner = open_backend(resolve_backend(backend, slurm), sim_shape(nodes, cpus, mem, gpus),
                          policy=policy, realtime=realtime, slurm=slurm)
    runner.prepare_users(source.user_names())    # before the clock starts
    execute(source, source, kind="storm", backend=runner, policy=policy, out=out,
            as_json=as_json, payload=payload, total=jobs,
            force=force, epoch=epoch, expected=jobs,
            cancel_on_exit=cancel_on_exit, sinks=sinks, settings={"seed": seed})

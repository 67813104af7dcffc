"""wlgen replay: run an SWF trace."""

from __future__ import annotations

import click

from workload.backends.sim import make_cluster_info
from workload.cli.accounting import accounting_options, open_source, prepare_accounts
from workload.cli.execute import execute, open_backend, resolve_backend
from workload.cli.options import (FINITE, MAX_NODES, POSITIVE, as_options, cluster_options,
                                  run_options)
from workload.sinks.config import SinkOptions
from workload.errors import InputError
from workload.sources import Window
from workload.sources.spool import Spool
from workload.sources.transforms import cap_runtime, compress, load_user_map, map_users, scale_procs


@click.command()
@click.argument("trace", type=click.Path(dir_okay=False))
@click.option("--lenient", is_flag=True, help="Skip malformed lines (counted) instead of stopping.")
@click.option("--offset", type=click.IntRange(min=0), default=0,
              help="Skip the first N usable jobs.")
@click.option("--limit", type=click.IntRange(min=0), help="Replay at most N jobs.")
@click.option("--from", "start_s", type=FINITE, help="First trace submit time to replay (s).")
@click.option("--to", "end_s", type=FINITE, help="Trace submit time to stop before (s).")
@click.option("--speedup", type=POSITIVE, default=1.0, show_default=True,
              help="Divide inter-arrival and run times (keeps the load).")
@click.option("--load", type=POSITIVE, default=1.0, show_default=True,
              help="Divide inter-arrival times only (scales the offered load).")
@click.option("--scale/--no-scale", default=True, show_default=True,
              help="Resize jobs from the trace's MaxProcs to the cluster's CPUs.")
@click.option("--whole-nodes", is_flag=True, help="Also pin each job to ceil(tasks/cpus) nodes.")
@click.option("--max-runtime", type=POSITIVE, help="Cap run times and limits (s, after speedup).")
@click.option("--users", type=click.IntRange(min=1), help="Fold trace users onto N users.")
@click.option("--user-map", type=click.Path(exists=True, dir_okay=False),
              help="YAML file: {users: {u17: alice}, accounts: {alice: physics}}.")
@click.option("--closed-loop/--open-loop", default=True, show_default=True,
              help="Honour SWF fields 17/18: submit after the preceding job ends + think time.")
@click.option("--use-memory", is_flag=True, help="Request the trace's memory (field 10).")
@accounting_options
@cluster_options
@run_options
def replay(trace: str, lenient: bool, offset: int, limit: int | None, start_s: float | None,
           end_s: float | None, speedup: float, load: float, scale: bool, whole_nodes: bool,
           max_runtime: float | None, users: int | None, user_map: str | None,
           closed_loop: bool, use_memory: bool,
           nodes: int | None, cpus: int | None, mem: int, policy: str, backend: str, realtime: bool,
           out: str | None, as_json: bool, seed: int, payload: str,
           cancel_on_exit: bool, sinks: SinkOptions, slurm: dict[str, object],
           accounting: dict[str, object], force: bool = False,
           epoch: float | None = None, gpus: tuple[int, str | None] | None = None) -> None:
    """Replay TRACE: an SWF trace (.swf, .swf.gz), a sacct -P/-p or --json dump, or a
    wlgen-jobs file (.jsonl), recognised by its content (README: "Replaying your
    cluster's accounting").

    Without --nodes/--cpus the simulated cluster is the trace's own size (MaxProcs
    nodes of 1 CPU); with them, jobs are resized to the cluster unless --no-scale.

    \b
    Examples:
      wlgen replay trace.swf
      wlgen replay trace.swf --speedup 600 --nodes 8 --cpus 32 --policy fcfs
      wlgen replay trace.swf.gz --limit 1000 --lenient --json
      wlgen replay sacct.txt --nodes 2 --cpus 4 --accounts assoc.txt --qos qos.txt
    """
    with as_options({"to_s": "--to", "from_s": "--from", "offset": "--offset",
                     "jobs": "--limit"}):
        window = Window(offset, limit, start_s, end_s)
    # A pipe (cat t.swf | wlgen replay /dev/stdin) is read once, into a file that every
    # pass (format sniffing, users, jobs) reads; messages still name the pipe.
    spool = Spool(trace)
    source = open_source(spool.path, accounting, strict=not lenient, use_memory=use_memory,
                         window=window, seed=seed)
    trace_procs = source.max_procs
    if trace_procs is None and not (nodes and cpus):
        raise InputError("the trace header has no MaxProcs or MaxNodes: give --nodes and --cpus",
                         file=trace)
    if not nodes and trace_procs is not None and trace_procs > MAX_NODES:
        raise InputError(f"MaxProcs {trace_procs:,} would be as many simulated nodes (at most "
                         f"{MAX_NODES:,}): give --nodes and --cpus", file=trace)
    kind = resolve_backend(backend, slurm)
    gpu_count, gpu_type = gpus or (0, None)
    # without --nodes the trace states its size (checked above): ``or 0`` is for the type only
    runner = open_backend(kind, make_cluster_info(nodes or trace_procs or 0, cpus or 1, mem,
                                                  gpus=gpu_count, gpu_type=gpu_type),
                          policy=policy, realtime=realtime, slurm=slurm)
    cluster = runner.describe()
    source.fit_partitions(cluster.partitions)
    prepare_accounts(source, kind, slurm.get("cluster"))
    specs = compress(source, arrival=speedup * load, runtime=speedup)
    if scale and trace_procs and trace_procs != cluster.total_cpus:
        specs = scale_procs(specs, from_procs=trace_procs, to_procs=cluster.total_cpus,
                            cpus_per_node=cluster.cpus_per_node, whole_nodes=whole_nodes)
    if max_runtime is not None:
        specs = cap_runtime(specs, max_runtime)
    mapping, accounts = load_user_map(user_map) if user_map else ({}, {})

    def fold(stream):
        if not (users or user_map):
            return stream
        return map_users(stream, fold=users, mapping=mapping, accounts=accounts)
    specs = fold(specs)

    def trace_users():   # not "users": that is --users, which fold() reads
        # A first pass over the trace (a second reader of the file, or of a pipe's copy:
        # never of the pipe itself), so its users exist before the clock starts.
        try:
            for spec in fold(source.replica()):
                yield spec.user
        except InputError:
            return   # the run meets the same line, stops there and records it
    runner.prepare_users(trace_users())
    execute(source, specs, kind="replay", backend=runner, policy=policy,
            out=out, force=force, epoch=epoch, as_json=as_json, payload=payload,
            header=source.header,
            closed_loop=closed_loop, cancel_on_exit=cancel_on_exit, sinks=sinks,
            total=limit if limit is not None or source.header is None
            else source.header.get_int("MaxJobs"),
            settings={"speedup": speedup, "load": load, "scale": scale,
                      "whole_nodes": whole_nodes, "max_runtime": max_runtime, "users": users,
                      "user_map": user_map})

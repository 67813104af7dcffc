"""Run a workload from the CLI: pick the backend, run, report, choose the exit code."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import click

from workload.backends.base import Backend, ClusterInfo
from workload.backends.select import choose, make_backend
from workload.backends.sim import make_cluster_info
from workload.cli.progress import Progress
from workload.cli.summary import emit_summary
from workload.run.runner import run_workload
from workload.rundir import ACCOUNTING
from workload.sinks.base import sink_detail
from workload.sinks.config import SinkOptions
from workload.sources.base import Source
from workload.spec import JobSpec
from workload.swf import Header
from workload.sources.transforms import set_payload

DEFAULT_NODES, DEFAULT_CPUS = 8, 32


def slurm_settings(slurm: Mapping[str, Any]) -> dict[str, Any]:
    """--slurm-client, --cluster, --slurm-url, --slurm-token, --controller-timeout as given
    (the ``slurm`` argument cli.options hands every command); --slurm-url means REST."""
    options = {key: value for key, value in slurm.items() if value is not None}
    if options.get("slurm_url") and "client" not in options:
        options["client"] = "rest"
    return options


def resolve_backend(requested: str, slurm: Mapping[str, object]) -> str:
    named = slurm.get("cluster")
    kind, why = choose(requested, cluster=None if named is None else str(named))
    if requested == "auto":
        click.echo(f"wlgen: backend: {kind} ({why})", err=True)
    return kind


def sim_shape(nodes: int | None, cpus: int | None, mem: int,
              gpus: tuple[int, str | None] | None = None) -> ClusterInfo:
    count, gpu_type = gpus or (0, None)
    return make_cluster_info(nodes or DEFAULT_NODES, cpus or DEFAULT_CPUS, mem, gpus=count,
                             gpu_type=gpu_type)


def open_backend(kind: str, sim_cluster: ClusterInfo, *, policy: str, realtime: bool,
                 slurm: Mapping[str, object]) -> Backend:
    """The run's backend. Slurm's cluster is what it is: --nodes/--cpus shape the simulator
    only, and jobs are scaled to what ``describe()`` reports."""
    backend = make_backend(kind, sim_cluster, policy=policy, realtime=realtime,
                           **slurm_settings(slurm))
    real = backend.describe()
    if kind != "sim" and (real.total_cpus, len(real.nodes)) != (sim_cluster.total_cpus,
                                                               len(sim_cluster.nodes)):
        click.echo(f"wlgen: cluster {real.name}: {len(real.nodes)} nodes, "
                   f"{real.total_cpus} CPUs (jobs are sized to it)", err=True)
    if real.slurm_api:
        click.echo(f"wlgen: slurmrestd API {real.slurm_api} (Slurm {real.slurm_version})",
                   err=True)
    return backend


def execute(source: Source, specs: Iterable[JobSpec], *, kind: str, backend: Backend,
            policy: str, out: str | None, as_json: bool,
            payload: str, settings: dict[str, object], sinks: SinkOptions,
            header: Header | None = None,
            closed_loop: bool = False, cancel_on_exit: bool = False,
            total: int | None = None, force: bool = False, epoch: float | None = None,
            expected: int | None = None) -> None:
    """Run and report; exits 1 when the run was interrupted or lost track of a job."""
    progress = Progress(total)
    ignored = getattr(backend, "ignored", None)     # the simulator's backend has it
    result = run_workload(
        set_payload(specs, payload), backend, kind=kind, out=out, force=force, epoch=epoch,
        expected=expected, header=header,
        settings={**settings, "source": source.describe(), "policy": policy,
                  "payload": payload,
                  # what the simulator does not model of this run, said as scenarios say it
                  **({"sim_ignored": ignored} if ignored else {})},
        sinks=sinks, closed_loop=closed_loop, skipped=lambda: dict(source.skipped),
        cancel_on_exit=cancel_on_exit, on_progress=progress)
    progress.close()
    outcome = result.outcome
    state = "interrupted" if outcome.interrupted else "stalled" if outcome.stalled else "done"
    emit_summary(result.metrics, as_json=as_json,
                 title=f"wlgen: {kind} {state}: {result.run_dir}")
    for report in result.sinks:
        click.echo(f"  sink {report.name:<14} sent {report.sent}, buffered {report.buffered}, "
                   f"dropped {report.dropped}" + sink_detail(report), err=True)
    if not result.complete:
        missing = result.metrics.get("unaccounted")
        if outcome.backend_error is not None:   # e.g. the cluster went away: one line
            click.echo(f"wlgen: {outcome.backend_error}", err=True)
        click.echo(f"wlgen: {missing} job(s) unaccounted for, listed in "
                   f"{result.run_dir / ACCOUNTING}", err=True)
        raise SystemExit(1)

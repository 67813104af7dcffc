"""Run simulator variants as one job array on a Slurm cluster, through submitit.

submitit pickles ``run_variant`` and each variant into a folder, submits an array with
sbatch, follows it with sacct and reads each task's pickled outcome back. So the jobs
need what this process has, at the same paths: wlgen's checkout, this Python (venv and
base interpreter) and the sweep's directory (the folder, the run directories). On
wlgen's own container cluster those are the cluster's ``shares`` (bind mounts on every
node): a cluster brought up here gets them; one already up must have them. This host
talks to the cluster as its login node (workload.cluster.login: its own sbatch/sacct).

Nothing is lost: a variant that raises comes back as an ERROR outcome (run_variant), a
job that dies without an outcome (killed, the node's Python broken) as an ERROR with
submitit's account of it, one still unfinished at the deadline is cancelled and ERROR.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import workload
from workload.errors import InputError
from workload.scenario.sweep import Variant, VariantOutcome, run_variant

__all__ = ["needed_shares", "run_on_slurm"]

POLL_S = 2.0              # sacct is asked at most this often per job (submitit caches it)
TIME_LIMIT_MIN = 60       # each variant's Slurm time limit


def needed_shares(variants: Sequence[Variant], base: Path) -> tuple[str, ...]:
    """The host directories a node must see: wlgen's checkout, this Python, the sweep's
    directory and the scenario files' directories; none inside another."""
    paths = {Path(workload.__file__).resolve().parents[1], Path(sys.prefix).resolve(),
             Path(sys.base_prefix).resolve(), base.resolve()}
    paths |= {Path(v.scenario.file).resolve().parent for v in variants if v.scenario.file}
    ordered = sorted(paths, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in ordered:
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return tuple(sorted(str(p) for p in kept))


def run_on_slurm(variants: Sequence[Variant], *, base: Path, cluster: str, parallel: int,
                 timeout_s: float = 3600,
                 on_done: Callable[[VariantOutcome], None] | None = None
                 ) -> list[VariantOutcome]:
    """Every variant as a task of one array on ``cluster`` (brought up with ``parallel``
    one-CPU nodes if it is not up, and taken down after); outcomes in the variants'
    order. Waits at most ``timeout_s`` for the whole array."""
    import submitit    # optional dependency (extra "slurm"): only this path needs it

    from workload.cluster import lifecycle, login
    from workload.cluster.cluster import Cluster
    from workload.cluster.config import ClusterSpec

    base = base.resolve()
    variants = [dataclasses.replace(v, out=v.out.resolve()) for v in variants]
    shares = needed_shares(variants, base)
    base.mkdir(parents=True, exist_ok=True)
    running = Cluster.running(cluster)
    if running is not None:
        _require_shares(running.spec.shares, shares, cluster)
    made = running is None
    try:     # (a Ctrl-C while it comes up still takes a half-up cluster down)
        up = running or lifecycle.up(ClusterSpec(name=cluster, nodes=parallel, cpus=1,
                                                 shares=shares))
        with _environ(login.start(up)):
            executor = submitit.SlurmExecutor(folder=base / ".submitit", python=sys.executable)
            executor.update_parameters(time=TIME_LIMIT_MIN, nodes=1, ntasks_per_node=1,
                                       cpus_per_task=1, use_srun=False, wckey="",
                                       array_parallelism=parallel, job_name="wlgen-matrix",
                                       setup=[f"cd {shlex.quote(str(base))}"])  # shared
            with executor.batch():
                jobs = [executor.submit(run_variant, v, "sim") for v in variants]
            return _gather(jobs, variants, time.monotonic() + timeout_s, on_done)
    finally:
        if made:
            lifecycle.down(cluster)


def _require_shares(have: Sequence[str], need: Sequence[str], cluster: str) -> None:
    missing = [p for p in need
               if not any(Path(p) == Path(h) or Path(h) in Path(p).parents for h in have)]
    if missing:
        raise InputError(f"cluster {cluster} is up without these directories shared with "
                         f"its nodes: {', '.join(missing)}; take it down (`wlgen cluster "
                         "down --name NAME`) so the sweep brings it up with them, or name "
                         "another cluster", field="--cluster", value=cluster)


def _gather(jobs: list[Any], variants: Sequence[Variant], deadline: float,
            on_done: Callable[[VariantOutcome], None] | None) -> list[VariantOutcome]:
    """Each job's outcome as it ends; at the deadline or Ctrl-C the rest are cancelled."""
    outcomes: dict[int, VariantOutcome] = {}
    tell = on_done or (lambda o: None)
    try:
        while len(outcomes) < len(jobs) and time.monotonic() < deadline:
            for i, job in enumerate(jobs):
                if i not in outcomes and job.done():
                    outcomes[i] = _outcome(job, variants[i])
                    tell(outcomes[i])
            if len(outcomes) < len(jobs):
                time.sleep(POLL_S)    # sacct between checks: a bounded poll
        why, status = "not finished by the deadline: cancelled", "ERROR"
    except KeyboardInterrupt:
        why, status = "Ctrl-C: cancelled", "interrupted"
    for i, job in enumerate(jobs):
        if i not in outcomes:
            job.cancel(check=False)
            outcomes[i] = VariantOutcome(variants[i].label, variants[i].out, status,
                                         error=f"Slurm job {job.job_id}: {why}")
            tell(outcomes[i])
    return [outcomes[i] for i in range(len(jobs))]


def _outcome(job: Any, variant: Variant) -> VariantOutcome:
    """The task's own outcome, or why there is none (submitit's FailedJobError carries
    the job's state and the tail of its stderr)."""
    try:
        outcome: VariantOutcome = job.result()
        return outcome
    except Exception as err:  # noqa: BLE001 - the variant's verdict, not a crash
        first = str(err).strip().splitlines()
        return VariantOutcome(variant.label, variant.out, "ERROR",
                              error=f"Slurm job {job.job_id}: {type(err).__name__}: "
                              f"{' | '.join(first[:1] + first[-3:])[:600]}")


@contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    """``env`` in this process while submitit calls sbatch and sacct (they read
    SLURM_CONF; sbatch passes the environment to the jobs)."""
    before = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

"""One job submission, built purely from job specs: what both clients send to Slurm.

``SubmitRequest`` is the closed set of options wlgen ever asks Slurm for. It is built
(and every value checked) here, once; ``command.sbatch_argv`` renders it as an sbatch
command line and ``restapi.job_description`` as a slurmrestd body. Neither renderer
validates or defaults anything, and each must render every field or refuse.

Trace fields reach Slurm only as values this module formats (numbers) or checks
(names against a strict pattern); the batch script (``script.py``, ``pack.py``) is the
request's ``script`` and goes on sbatch's stdin or in the body.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workload.backends.slurm.tags import job_name
from workload.errors import InputError
from workload.spec import Component, JobSpec

WORKDIR = "/tmp"   # every node has it and every user may write there
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_WORD = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# --dependency as depends.py writes it: known kinds, each with Slurm job (or task) ids,
# joined by "," (all of them) or by "?" (any one), never both (Slurm has no mix).
_KIND_IDS = r"(after|afterok|afternotok|afterany)(:\d+(_\d+)?)+"
_DEPENDENCY = re.compile(rf"^{_KIND_IDS}((,{_KIND_IDS})*|(\?{_KIND_IDS})*)$")
#: Options a caller may add (``extra={"qos": "normal"}``) and the rule for their values;
#: flags take "". Anything else is refused, never passed through.
EXTRA_OPTIONS: dict[str, re.Pattern[str]] = {
    "qos": _WORD,
    "reservation": _WORD,
    "constraint": re.compile(r"^[A-Za-z0-9_.&|()!*-]{1,128}$"),
    "exclusive": re.compile(r"^$"),
    "requeue": re.compile(r"^$"),
    "no-requeue": re.compile(r"^$"),
    "output": re.compile(r"^[A-Za-z0-9_./%-]{1,256}$"),
    "chdir": re.compile(r"^/[A-Za-z0-9_./-]{0,255}$"),
}


@dataclass(frozen=True, slots=True)
class ComponentRequest:
    """One further component of a heterogeneous job (``sbatch ... : OPTIONS``): the
    options Slurm resets for each component (heterogeneous_jobs.shtml: --ntasks,
    --mem-per-cpu... are not propagated), every value already checked. The others (name,
    time, account, QOS, dependency...) are the job's."""

    tasks: int
    nodes: int | None = None
    mem_per_cpu_mb: int | None = None
    partition: str | None = None
    gpus: str | None = None
    gres: str | None = None
    max_nodes: int | None = None


@dataclass(frozen=True, slots=True)
class SubmitRequest:
    """One batch job (or array) as Slurm is asked for it; every value already checked.

    ``array`` > 1 makes it an array of that many tasks, indices 0..array-1, each task
    shaped like the rest of the request (see pack.py). ``requeue`` None leaves Slurm's
    default (JobRequeue)."""

    name: str
    tasks: int
    time_limit_min: int
    script: str
    nodes: int | None = None
    mem_per_cpu_mb: int | None = None
    account: str | None = None
    partition: str | None = None
    array: int = 1
    output: str = "/dev/null"
    chdir: str = WORKDIR
    qos: str | None = None
    reservation: str | None = None
    constraint: str | None = None
    exclusive: bool = False
    requeue: bool | None = None
    gpus: str | None = None      # sbatch --gpus: "N" or "TYPE:N" for the whole job
    # sbatch --gres: "gpu:N" or "gpu:TYPE:N" on each node, for a job on one node: there
    # it means the same as --gpus, and Slurm 26.05.5 started a --gpus=2 array task on a
    # node with one GPU free and gave it that one (AllocTRES gres/gpu=1, stored in
    # tests/slurm/data/gpu/26.05/tres-per-job-short-*), which --gres never did.
    gres: str | None = None
    # sbatch --gpus-per-node: "N" or "TYPE:N" on each of the job's pinned nodes, for a
    # multi-node job whose spec says so (JobSpec.gpus_per_node): Slurm 26.05.5 gave a
    # job-wide --gpus fewer GPUs than asked across nodes (tests/slurm/data/gpu/26.05).
    gpus_per_node: str | None = None
    # At most this many nodes (``--nodes=1-N``) when ``nodes`` is unset: GPU jobs say
    # their tasks' count, since Slurm 24.11 spread a 1-task --gpus=2 job over two nodes
    # (a node holding GPUs and no task; the simulator never does that).
    max_nodes: int | None = None
    # sbatch --dependency with Slurm's ids ("afterok:12:13_4,afterany:9"), see depends.py
    dependency: str | None = None
    # at most this many of the array's tasks at once (sbatch --array=0-K%N)
    array_throttle: int | None = None
    # a heterogeneous job's components after the first (never with ``array`` > 1)
    components: tuple[ComponentRequest, ...] = ()


def submit_request(spec: JobSpec, run_id: str, script: str, *, account: str | None = None,
                   partition: str | None = None, mem_per_cpu_mb: int | None = None,
                   extra: Mapping[str, str] | None = None, tasks: int = 1,
                   dependency: str | None = None) -> SubmitRequest:
    """The request for ``spec`` (the first job of an array of ``tasks`` when > 1).

    ``account``, ``partition`` and ``mem_per_cpu_mb`` are defaults that the spec's own
    values override. A memory default matters where slurm.conf has no DefMemPerCPU:
    with CR_CPU_Memory a job without one takes a whole node's memory. ``dependency`` is
    ``spec.depends`` in Slurm's ids ("" when none of its parents counts), which only the
    backend knows (depends.py): a spec with dependencies and none is refused."""
    if spec.depends and dependency is None:
        raise InputError("dependencies need the Slurm ids of their jobs (depends.py)",
                         field="depends", value=spec.depends)
    if dependency and not _DEPENDENCY.match(dependency):
        raise InputError(f"must match {_DEPENDENCY.pattern}", field="dependency",
                         value=dependency)
    mem = spec.mem_per_cpu_mb if spec.mem_per_cpu_mb is not None else mem_per_cpu_mb
    if spec.components and tasks > 1:
        raise InputError("a heterogeneous job cannot be an array (Slurm has no arrays of "
                         "them)", field="components", value=len(spec.components))
    fields = extra_fields(extra or {})
    if spec.qos is not None:
        fields["qos"] = _name(spec.qos, "qos")
    return SubmitRequest(
        name=job_name(run_id, spec.seq), tasks=_count(spec.procs, "procs"),
        time_limit_min=int(time_limit(spec.time_limit_s)), script=script,
        nodes=None if spec.nodes is None else _count(spec.nodes, "nodes"),
        mem_per_cpu_mb=None if mem is None else _count(mem, "mem_per_cpu_mb"),
        account=_name(spec.account or account, "account"),
        partition=_name(spec.partition or partition, "partition"),
        array=_count(tasks, "tasks"), dependency=dependency or None,
        array_throttle=_count(spec.array_throttle, "array_throttle")
        if spec.array_throttle is not None and tasks > 1 else None,
        # A component without a partition of its own is in the job's (sbatch carries no
        # --partition over to later components: each names it).
        components=tuple(_component(c, mem_per_cpu_mb, spec.partition or partition)
                         for c in spec.components),
        **_gpu_fields(spec), **fields)


def _component(part: Component, mem_per_cpu_mb: int | None,
               partition: str | None) -> ComponentRequest:
    """A further component's request; the same defaults as the job's own (a component
    without memory would take a whole node's with CR_CPU_Memory)."""
    mem = part.mem_per_cpu_mb if part.mem_per_cpu_mb is not None else mem_per_cpu_mb
    shape = JobSpec(seq=0, submit_s=0, procs=part.procs, runtime_s=0, time_limit_s=60,
                    nodes=part.nodes, gpus=part.gpus, gpu_type=part.gpu_type)
    return ComponentRequest(
        tasks=_count(part.procs, "components.procs"),
        nodes=None if part.nodes is None else _count(part.nodes, "components.nodes"),
        mem_per_cpu_mb=None if mem is None else _count(mem, "components.mem_per_cpu_mb"),
        partition=_name(part.partition or partition, "components.partition"),
        **_gpu_fields(shape))

def _gpu_fields(spec: JobSpec) -> dict[str, Any]:
    """The GPU request: per node (``gres``) for a job on one node, else for the whole
    job (``gpus``) with at most its tasks' count of nodes."""
    gpus = _gpus(spec)
    if gpus is None:
        return {}
    if spec.gpus_per_node and spec.nodes != 1:
        if not spec.nodes or spec.gpus % spec.nodes:
            raise InputError("GPUs per node need a pinned node count (nodes) that divides "
                             "gpus", field="gpus_per_node", value=(spec.gpus, spec.nodes))
        each = spec.with_(gpus=spec.gpus_each)
        return {"gpus_per_node": _gpus(each)}
    if spec.nodes == 1 or (spec.nodes is None and spec.procs == 1):
        return {"gres": f"gpu:{gpus}", "max_nodes": 1 if spec.nodes is None else None}
    return {"gpus": gpus, "max_nodes": spec.procs if spec.nodes is None else None}


def _gpus(spec: JobSpec) -> str | None:
    """``--gpus`` for the whole job: "2", or "a100:2" with a type (issue 16)."""
    if not spec.gpus:
        return None
    count = str(_count(spec.gpus, "gpus"))
    if spec.gpu_type is None:
        return count
    if not isinstance(spec.gpu_type, str) or not _WORD.match(spec.gpu_type):
        raise InputError(f"must match {_WORD.pattern}", field="gpu_type", value=spec.gpu_type)
    return f"{spec.gpu_type}:{count}"


def extra_fields(options: Mapping[str, str]) -> dict[str, Any]:
    """The request fields for allowed extra options (later options win, as in sbatch)."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        rule = EXTRA_OPTIONS.get(key)
        if rule is None:
            raise InputError(f"unknown sbatch option; allowed: {', '.join(EXTRA_OPTIONS)}",
                             field="sbatch option", value=key)
        if not isinstance(value, str) or not rule.match(value):
            raise InputError(f"value must match {rule.pattern}", field=f"--{key}", value=value)
        if key in ("requeue", "no-requeue"):
            out["requeue"] = key == "requeue"
        elif key == "exclusive":
            out["exclusive"] = True
        else:
            out[key] = value
    return out


def time_limit(seconds: float) -> str:
    """Slurm's --time in whole minutes, rounded up (at least one)."""
    try:
        return _minutes(seconds)
    except TypeError:   # unhashable, so not a number either
        raise InputError("must be a positive number of seconds", field="time_limit_s",
                         value=seconds) from None


@functools.lru_cache(maxsize=4096)
def _minutes(seconds: float) -> str:
    # Cached: array packing asks for every job's limit (a trace has few distinct ones),
    # and this check was a third of the cost of packing 1,000 jobs.
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
        raise InputError("must be a positive number of seconds", field="time_limit_s",
                         value=seconds)
    return str(max(1, math.ceil(seconds / 60)))


def _name(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _NAME.match(value):
        raise InputError(f"must match {_NAME.pattern}", field=field, value=value)
    return value


def _count(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError("must be a whole number >= 1", field=field, value=value)
    return value

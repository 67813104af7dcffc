"""The sbatch command line for a ``SubmitRequest``: an argv list, never a shell string.

Pure rendering: every value was checked when the request was built (request.py), and
the batch script goes on stdin. Every field of the request is rendered; a field this
module does not know is refused (InputError), never dropped.
"""

from __future__ import annotations

import math
from dataclasses import fields

from workload.backends.base import NodeInfo
from workload.backends.sim.job import SimJob
from workload.backends.sim.partition import Partition
from workload.backends.slurm.request import ComponentRequest, SubmitRequest
from workload.errors import InputError
from workload.spec import JobSpec, component_specs

#: Fields that become one ``--option=value`` each, in this order, when set.
_VALUED = {"name": "job-name", "tasks": "ntasks", "time_limit_min": "time",
           "output": "output", "chdir": "chdir", "nodes": "nodes",
           "mem_per_cpu_mb": "mem-per-cpu", "account": "account", "partition": "partition",
           "qos": "qos", "reservation": "reservation", "constraint": "constraint",
           "gpus": "gpus", "gres": "gres", "gpus_per_node": "gpus-per-node",
           "dependency": "dependency"}
# below, or on stdin
_OTHER = {"script", "array", "exclusive", "requeue", "max_nodes", "array_throttle",
          "components"}
#: A heterogeneous job's further component: one ``--option=value`` each, after a ":".
_COMPONENT = {"tasks": "ntasks", "nodes": "nodes", "mem_per_cpu_mb": "mem-per-cpu",
              "partition": "partition", "gpus": "gpus", "gres": "gres"}


def sbatch_argv(request: SubmitRequest) -> list[str]:
    """``sbatch --parsable`` and one option per set field of ``request``."""
    _refuse_unknown(request)
    argv = ["sbatch", "--parsable"]
    for field, option in _VALUED.items():
        value = getattr(request, field)
        if value is not None:
            argv.append(f"--{option}={value}")
    if request.max_nodes is not None and request.nodes is None:
        argv.append(f"--nodes=1-{request.max_nodes}")
    if request.array != 1:
        throttle = "" if request.array_throttle is None else f"%{request.array_throttle}"
        argv.append(f"--array=0-{request.array - 1}{throttle}")
    if request.exclusive:
        argv.append("--exclusive")
    if request.requeue is not None:
        argv.append("--requeue" if request.requeue else "--no-requeue")
    for part in request.components:
        argv += [":", *component_options(part)]
    return argv


def component_options(part: ComponentRequest) -> list[str]:
    """One further component's options (what follows its ":" on sbatch's command line)."""
    unknown = _unknown_fields(type(part))
    if unknown:
        raise InputError("sbatch_argv cannot render this component field",
                         field=unknown[0], value=getattr(part, unknown[0]))
    out = [f"--{option}={getattr(part, name)}" for name, option in _COMPONENT.items()
           if getattr(part, name) is not None]
    if part.max_nodes is not None and part.nodes is None:
        out.append(f"--nodes=1-{part.max_nodes}")
    return out


def _refuse_unknown(request: SubmitRequest) -> None:
    unknown = _unknown_fields(type(request))
    if unknown:
        raise InputError("sbatch_argv cannot render this request field",
                         field=unknown[0], value=getattr(request, unknown[0]))


_UNKNOWN: dict[type, tuple[str, ...]] = {}


def _unknown_fields(kind: type) -> tuple[str, ...]:
    """Fields of a request type that this module cannot render (per type: cached, as
    ``fields()`` was a tenth of the submit path's own time)."""
    if kind not in _UNKNOWN:
        known = (set(_COMPONENT) | {"max_nodes"} if kind is ComponentRequest
                 else set(_VALUED) | _OTHER)
        _UNKNOWN[kind] = tuple(f.name for f in fields(kind) if f.name not in known)
    return _UNKNOWN[kind]


def impossible(spec: JobSpec, nodes: int, cpus_per_node: int, mem_mb: int,
               gpus_per_node: int = 0) -> str | None:
    """Why ``spec`` can never run on ``nodes`` x ``cpus_per_node`` (None if it can).

    Slurm without EnforcePartLimits accepts such a job and keeps it pending forever,
    so the backend refuses it up front, as the simulator does. A heterogeneous job: each
    component as a job of its own, and all their CPUs on the cluster at once."""
    if spec.components:
        return _het_impossible(spec, nodes, cpus_per_node, mem_mb, gpus_per_node)
    wanted_nodes = spec.nodes or 1
    if wanted_nodes > nodes:
        return f"asks for {wanted_nodes} nodes, the cluster has {nodes}"
    if spec.procs > nodes * cpus_per_node:
        return f"asks for {spec.procs} CPUs, the cluster has {nodes * cpus_per_node}"
    if spec.nodes and spec.procs > spec.nodes * cpus_per_node:
        return f"asks for {spec.procs} CPUs on {spec.nodes} nodes of {cpus_per_node}"
    per_node = math.ceil(spec.procs / (spec.nodes or nodes)) if spec.nodes else 1
    if spec.mem_per_cpu_mb and mem_mb and spec.mem_per_cpu_mb * per_node > mem_mb:
        return f"asks for {spec.mem_per_cpu_mb} MB per CPU, nodes have {mem_mb} MB"
    # GPUs come from the job's nodes, each giving at most its own (the simulator's rule).
    most = (spec.nodes or min(spec.procs, nodes)) * gpus_per_node
    if spec.gpus > most:
        return (f"asks for {spec.gpus} GPUs, " + (f"at most {most} on its nodes" if most
                                                 else "the cluster has none"))
    return None


def _het_impossible(spec: JobSpec, nodes: int, cpus_per_node: int, mem_mb: int,
                    gpus_per_node: int) -> str | None:
    for number, part in enumerate(component_specs(spec)):
        why = impossible(part, nodes, cpus_per_node, mem_mb, gpus_per_node)
        if why:
            return f"heterogeneous job component {number} {why}"
    if spec.total_procs > nodes * cpus_per_node:
        return (f"asks for {spec.total_procs} CPUs in all components, the cluster has "
                f"{nodes * cpus_per_node}")
    # Components that each fit but never all at once (Slurm would keep the job pending
    # for ever): the simulator's placement, on the cluster idle, decides.
    idle = Partition("cluster", [NodeInfo(f"n{i}", cpus_per_node, mem_mb or 1 << 40, (),
                                          gpus_per_node) for i in range(nodes)])
    if idle.impossible(SimJob(spec, 0.0, "cluster")):
        return (f"asks for {len(spec.components) + 1} components that cannot all be placed "
                f"at once on {nodes} nodes x {cpus_per_node} CPUs, even idle")
    return None

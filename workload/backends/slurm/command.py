"""The sbatch command line, built purely from a job spec: an argv list, never a shell string.

Trace fields reach sbatch only as option values that this module formats or checks
(numbers it writes itself, names matched against a strict pattern); the batch script
from :mod:`workload.sources.payload` goes on stdin. Extra options are a closed set: anything
else is refused with InputError rather than passed through.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping

from workload.backends.slurm.tags import job_name
from workload.errors import InputError
from workload.spec import JobSpec

#: sbatch options a user may add (``--sbatch-option qos=normal``), and the rule for values.
EXTRA_OPTIONS: dict[str, re.Pattern[str]] = {
    "qos": re.compile(r"^[A-Za-z0-9_.-]{1,64}$"),
    "reservation": re.compile(r"^[A-Za-z0-9_.-]{1,64}$"),
    "constraint": re.compile(r"^[A-Za-z0-9_.&|()!*-]{1,128}$"),
    "exclusive": re.compile(r"^$"),
    "requeue": re.compile(r"^$"),
    "no-requeue": re.compile(r"^$"),
    "output": re.compile(r"^[A-Za-z0-9_./%-]{1,256}$"),
    "chdir": re.compile(r"^/[A-Za-z0-9_./-]{0,255}$"),
}
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
WORKDIR = "/tmp"   # every node has it and every user may write there


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


def _count(value: object, field: str) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError("must be a whole number >= 1", field=field, value=value)
    return str(value)


def extra_options(options: Mapping[str, str]) -> list[str]:
    """``--key=value`` (or ``--key`` for flags) for each allowed extra option."""
    out = []
    for key, value in options.items():
        rule = EXTRA_OPTIONS.get(key)
        if rule is None:
            raise InputError(f"unknown sbatch option; allowed: {', '.join(EXTRA_OPTIONS)}",
                             field="sbatch option", value=key)
        if not rule.match(value):
            raise InputError(f"value must match {rule.pattern}", field=f"--{key}", value=value)
        out.append(f"--{key}={value}" if value else f"--{key}")
    return out


def sbatch_argv(spec: JobSpec, run_id: str, *, account: str | None = None,
                partition: str | None = None, mem_per_cpu_mb: int | None = None,
                extra: Mapping[str, str] | None = None, tasks: int = 1) -> list[str]:
    """The sbatch argv for ``spec``; the script comes on stdin.

    ``tasks`` > 1 makes it an array job of that many tasks (``--array=0-N``), each of
    them shaped like ``spec`` (see :mod:`workload.backends.slurm.pack`).

    ``account``, ``partition`` and ``mem_per_cpu_mb`` are defaults that the spec's own
    values override. A memory default matters where slurm.conf has no DefMemPerCPU:
    with CR_CPU_Memory a job without one takes a whole node's memory."""
    argv = ["sbatch", "--parsable", f"--job-name={job_name(run_id, spec.seq)}",
            f"--ntasks={_count(spec.procs, 'procs')}",
            f"--time={time_limit(spec.time_limit_s)}",
            "--output=/dev/null", f"--chdir={WORKDIR}"]
    if spec.nodes is not None:
        argv.append(f"--nodes={_count(spec.nodes, 'nodes')}")
    mem = spec.mem_per_cpu_mb if spec.mem_per_cpu_mb is not None else mem_per_cpu_mb
    if mem is not None:
        argv.append(f"--mem-per-cpu={_count(mem, 'mem_per_cpu_mb')}")
    chosen_account = _name(spec.account or account, "account")
    if chosen_account:
        argv.append(f"--account={chosen_account}")
    chosen_partition = _name(spec.partition or partition, "partition")
    if chosen_partition:
        argv.append(f"--partition={chosen_partition}")
    if tasks != 1:
        argv.append(f"--array=0-{int(_count(tasks, 'tasks')) - 1}")
    # Later options win in sbatch: extras may replace --output/--chdir on purpose.
    return argv + extra_options(extra or {})


def impossible(spec: JobSpec, nodes: int, cpus_per_node: int, mem_mb: int) -> str | None:
    """Why ``spec`` can never run on ``nodes`` x ``cpus_per_node`` (None if it can).

    Slurm without EnforcePartLimits accepts such a job and keeps it pending forever,
    so the backend refuses it up front, as the simulator does."""
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
    return None

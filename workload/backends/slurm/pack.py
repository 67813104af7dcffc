"""Array packing: jobs of the same shape submitted in the same instant go as one
``sbatch --array=0-K``, because slurmctld takes one array of K tasks about as fast as
one job (~10 ms) while K separate sbatch calls cost K round trips.

Everything here is pure. Task ``i`` of an array runs the i-th job of its group: the
batch script holds a table of per-task run times written by this module (numbers from
``payload``'s own formatter), indexed by ``SLURM_ARRAY_TASK_ID``; no trace field
reaches the shell. Everything else about the jobs (tasks, nodes, limit, memory, user,
account, partition, payload and its arguments) is the same for the whole group.
"""

from __future__ import annotations

import shlex

from workload.backends.slurm.request import time_limit
from workload.backends.slurm.script import payload_argv, runtime_arg
from workload.spec import JobSpec

MAX_TASKS = 1000   # Slurm's default MaxArraySize is 1001: index 0..1000 always works
_RUNTIME = '"${RUNTIMES[$SLURM_ARRAY_TASK_ID]}"'


def shape(spec: JobSpec) -> tuple[object, ...]:
    """What must be equal for two jobs to share one array: everything sbatch or the
    script sees except the run time (the limit counts as Slurm sees it, in minutes). The
    tasks of a source array with a throttle (``%N``) share an array only with each other,
    so that the throttle holds for them and no other job. A heterogeneous job shares
    with none: Slurm has no arrays of them (heterogeneous_jobs.shtml, Limitations)."""
    return (time_limit(spec.time_limit_s), spec.procs, spec.nodes, spec.mem_per_cpu_mb,
            spec.user, spec.group, spec.account, spec.partition, spec.qos, spec.payload,
            spec.payload_args, spec.gpus, spec.gpu_type, spec.gpus_per_node, spec.depends,
            spec.array_throttle and (spec.array_job, spec.array_throttle),
            spec.components and ("heterogeneous", spec.seq))


def task_id(job_id: str, index: int) -> str:
    """How squeue/sacct/scancel name task ``index`` of array job ``job_id``."""
    return f"{job_id}_{index}"


def base_id(job_id: str) -> str:
    """The array's own id from a task's ("123_4" -> "123"); plain ids pass through."""
    return job_id.split("_", 1)[0]


def _quoted_runtimes(specs: list[JobSpec]) -> list[str]:
    """Each job's ``--seconds`` value, shell-quoted; a run time shared by many jobs is
    checked and formatted once (``runtime_arg`` depends on nothing else)."""
    done: dict[object, str] = {}
    out = []
    for spec in specs:
        value = spec.runtime_s
        plain = isinstance(value, (int, float)) and spec.cancel_after_s is None
        text = done.get(value) if plain else None
        if text is None:
            text = shlex.quote(runtime_arg(spec))   # InputError for what is no number
            if plain:
                done[value] = text
        out.append(text)
    return out


def array_script(specs: list[JobSpec], *, launcher: str = "srun",
                 python: str = "python3") -> str:
    """The batch script of an array whose task i runs ``specs[i]``.

    The first job's command line is built (and validated) by ``payload_argv``; jobs of
    one ``shape`` have the same command line but for the value after ``--seconds``, which
    becomes the per-task table (each value checked by ``runtime_arg``). Checking shapes
    rather than building every job's argv keeps a 1,000-task array at ~0.3 ms here."""
    want = shape(specs[0])
    if any(shape(spec) != want for spec in specs[1:]):
        raise ValueError("array_script: jobs of different shapes in one array")
    first = payload_argv(specs[0], launcher=launcher, python=python)
    at = first.index("--seconds") + 1
    head, tail = first[:at], first[at + 1:]
    runtimes = " ".join(_quoted_runtimes(specs))
    seqs = ",".join(str(int(spec.seq)) for spec in specs)
    return (f"#!/bin/bash\n"
            f"# wlgen array: task i runs seq i of: {seqs}\n"
            f"RUNTIMES=({runtimes})\n"
            f"exec {shlex.join(head)} {_RUNTIME} {shlex.join(tail)}".rstrip() + "\n")

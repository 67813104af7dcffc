"""The batch script a job runs: its launcher (srun, mpirun or none) and kernel command.

Everything here is pure. Trace and scenario values never reach a shell unchecked: the
kernel name comes from the fixed registry in ``jobs.registry``, numbers are written by
this code, extra arguments are validated against the kernel's own options and quoted.
"""

from __future__ import annotations

import math
import re
import shlex

from jobs.registry import SECONDS, kernel
from workload.errors import InputError
from workload.sources.payload import kernel_args
from workload.spec import JobSpec

LAUNCHERS = ("srun", "mpirun", "none")
_LAUNCH = {"srun": ("srun", "--mpi=pmix"), "mpirun": ("mpirun",)}
_PYTHON = re.compile(r"[A-Za-z0-9_./+-]{1,256}")
CANCEL_MARGIN_S = 30.0   # how long a job to be cancelled runs past its cancel



def runtime_arg(spec: JobSpec) -> str:
    """The value after ``--seconds`` for ``spec`` (checked, formatted by the kernels' own
    rule)."""
    value, lo, hi = spec.runtime_s, SECONDS.lo, SECONDS.hi
    if not isinstance(value, (int, float)) or not math.isfinite(value) \
            or (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InputError(f"must be a number of seconds in [{SECONDS.lo}, {SECONDS.hi}]",
                         field="runtime_s", value=value)
    cancel = spec.cancel_after_s
    if isinstance(cancel, (int, float)) and math.isfinite(cancel):
        # The watcher cancels it this far into its run (a sacct replay): the payload
        # must still be running then, whatever its own start-up took.
        value = max(value, cancel) + CANCEL_MARGIN_S
        value = min(value, hi) if hi is not None else value
    return SECONDS.format(value)


def payload_argv(spec: JobSpec, *, launcher: str = "srun",
                 python: str = "python3") -> list[str]:
    """The command line that runs ``spec``'s payload inside its allocation.

    One rank (no launcher) when the kernel needs only one process, the job has one
    task, or ``launcher`` is "none"; otherwise ``srun --mpi=pmix`` (pmi2 does not work
    with Debian's Open MPI) or ``mpirun -np PROCS``.
    """
    if launcher not in LAUNCHERS:
        raise InputError(f"launcher must be one of {', '.join(LAUNCHERS)}",
                         field="launcher", value=launcher)
    if not isinstance(python, str) or not _PYTHON.fullmatch(python):
        raise InputError("must be a plain path (letters, digits, _./+-)",
                         field="python", value=python)
    if not isinstance(spec.procs, int) or spec.procs < 1:
        raise InputError("must be a whole number >= 1", field="procs", value=spec.procs)
    args = kernel_args(spec.payload, spec.payload_args)
    command = [python, "-m", "jobs", spec.payload, "--seconds", runtime_arg(spec), *args]
    if launcher == "none" or spec.procs == 1 or not kernel(spec.payload).parallel:
        return command
    prefix = _LAUNCH[launcher] + (("-np", str(spec.procs)) if launcher == "mpirun" else ())
    return [*prefix, *command]


def build_batch_script(spec: JobSpec, *, launcher: str = "srun",
                       python: str = "python3") -> str:
    """The text of the batch script for ``spec`` (``#!/bin/bash``, then one command).

    ``exec`` makes the payload the batch step's main process, so Slurm's SIGTERM
    reaches it directly and its exit code is the job's.
    """
    argv = payload_argv(spec, launcher=launcher, python=python)
    return (f"#!/bin/bash\n"
            f"# wlgen job seq={int(spec.seq)} procs={spec.procs} payload={spec.payload}\n"
            f"exec {shlex.join(argv)}\n")

"""From job spec to payload: which kernel a job runs, and the batch script that runs it.

Everything here is pure. Trace and scenario values never reach a shell unchecked: the
kernel name comes from the fixed registry in ``jobs.registry``, numbers are written by
this code, extra arguments are validated against the kernel's own options and quoted.
"""

from __future__ import annotations

import math
import random
import re
import shlex
from dataclasses import dataclass, field
from typing import Mapping

from jobs.registry import SECONDS, canonical_args, kernel
from workload.errors import InputError
from workload.spec import JobSpec

LAUNCHERS = ("srun", "mpirun", "none")
_LAUNCH = {"srun": ("srun", "--mpi=pmix"), "mpirun": ("mpirun",)}
_PYTHON = re.compile(r"[A-Za-z0-9_./+-]{1,256}")


def _kernel_args(name: str, args: tuple[str, ...] | list[str]) -> list[str]:
    """Canonical arguments for kernel ``name``; InputError names the field at fault."""
    try:
        kernel(name)
    except ValueError as error:
        raise InputError(str(error), field="payload", value=name) from None
    if isinstance(args, str) or not all(isinstance(a, str) for a in args):
        raise InputError("must be a sequence of strings", field="payload_args", value=args)
    try:
        return canonical_args(name, args)
    except ValueError as error:
        raise InputError(str(error), field="payload_args", value=tuple(args)) from None


def runtime_arg(spec: JobSpec) -> str:
    """The value after ``--seconds`` for ``spec`` (checked, formatted by the kernels' own
    rule)."""
    value = spec.runtime_s
    if not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not SECONDS.lo <= value <= SECONDS.hi:
        raise InputError(f"must be a number of seconds in [{SECONDS.lo}, {SECONDS.hi}]",
                         field="runtime_s", value=value)
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
    args = _kernel_args(spec.payload, spec.payload_args)
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


@dataclass(frozen=True)
class PayloadMapping:
    """How jobs pick a kernel: by SWF executable number, else a weighted mix, else
    ``default``. ``args`` gives each kernel's extra arguments; the mix is drawn per
    job from (seed, seq), so the choice does not depend on the order jobs are seen.
    """

    default: str = "sleep"
    by_executable: Mapping[int, str] = field(default_factory=dict)
    mix: tuple[tuple[str, float], ...] = ()
    args: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    seed: int = 0

    def __post_init__(self) -> None:
        names = [self.default, *self.by_executable.values(), *(n for n, _ in self.mix)]
        for name in names:
            _kernel_args(name, ())
        # Stored canonical, so every job of a run gets the same validated text.
        canonical = {name: tuple(_kernel_args(name, a)) for name, a in self.args.items()}
        object.__setattr__(self, "args", canonical)
        if any(not math.isfinite(w) or w < 0 for _, w in self.mix) \
                or (self.mix and sum(w for _, w in self.mix) <= 0):
            raise InputError("weights must be >= 0 with a positive sum", field="mix",
                             value=self.mix)

    @classmethod
    def parse(cls, text: str, *, seed: int = 0) -> "PayloadMapping":
        """The ``--payload`` option: ``sleep`` (pure scheduler runs), a kernel name, or
        a weighted mix such as ``cpu=3,allreduce=1``."""
        if "=" not in text:
            return cls(default=text.strip(), seed=seed)
        mix = []
        for part in text.split(","):
            name, _, weight = part.partition("=")
            try:
                mix.append((name.strip(), float(weight)))
            except ValueError:
                raise InputError("a mix is NAME=WEIGHT,...", field="payload",
                                 value=text) from None
        return cls(mix=tuple(mix), seed=seed)

    def pick(self, spec: JobSpec) -> str:
        """The kernel name for ``spec``."""
        if spec.executable is not None and spec.executable in self.by_executable:
            return self.by_executable[spec.executable]
        if not self.mix:
            return self.default
        draw = random.Random(f"{self.seed}:{spec.seq}")  # str seeds are stable across runs
        names, weights = zip(*self.mix)
        return draw.choices(names, weights)[0]


def choose_payload(spec: JobSpec, mapping: PayloadMapping) -> JobSpec:
    """``spec`` with its payload (and that kernel's arguments) chosen by ``mapping``."""
    name = mapping.pick(spec)
    return spec.with_(payload=name, payload_args=mapping.args.get(name, ()))

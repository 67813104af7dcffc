"""Which kernel a job runs: by SWF executable number, a weighted mix, or one default.

Kernel names and arguments are checked against the fixed registry in ``jobs.registry``
here, once per run; the batch script that runs them is ``backends.slurm.script``'s.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Mapping

from jobs.registry import canonical_args, kernel
from workload.errors import InputError
from workload.spec import JobSpec


def kernel_args(name: str, args: tuple[str, ...] | list[str]) -> list[str]:
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
            kernel_args(name, ())
        # Stored canonical, so every job of a run gets the same validated text.
        canonical = {name: tuple(kernel_args(name, a)) for name, a in self.args.items()}
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

"""The kernels and their options, as plain data.

One source of truth for both sides: ``python3 -m jobs`` builds its argparse CLI from it,
and ``workload.sources.payload`` validates trace-supplied arguments against it before a value
can reach a batch script. Pure standard library: no mpi4py import here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

# Values of string options end up in a shell script (quoted); refuse anything that is not
# a plain path or list so that quoting is a second line of defence, not the only one.
# No leading "-": the value would read as another option to the kernel's parser.
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_./,:+@%=][A-Za-z0-9_./,:+@%=-]{0,255}")


@dataclass(frozen=True)
class Option:
    """One ``--flag``: its type, default and allowed range."""

    flag: str
    kind: type          # float, int, str or bool (bool: a flag without value)
    default: object
    help: str
    lo: float | None = None
    hi: float | None = None

    def convert(self, text: str) -> object:
        """The value of ``text`` for this option; ValueError names the rule broken."""
        if self.kind is str:
            if not _SAFE_TEXT.fullmatch(text):
                raise ValueError(f"{self.flag} takes letters, digits and _./,:+@%=- "
                                 "(not first) only")
            return text
        value = self.kind(text)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{self.flag} must be a finite number")
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise ValueError(f"{self.flag} must be in [{self.lo}, {self.hi}], got {text}")
        return value

    def format(self, value: object) -> str:
        """The canonical text of a converted value (numbers are written by this code)."""
        if self.kind is not float:
            return str(value)
        if not isinstance(value, (int, float, str)):
            raise TypeError(f"{self.flag} takes a number, got {value!r}")
        return repr(float(value))


SECONDS = Option("--seconds", float, 10.0, "target runtime T in seconds", 0.0, 1e8)
COMMON = (
    SECONDS,
    Option("--fail-exit", int, 0, "after the run, exit with this code (FAILED path)", 0, 255),
    Option("--overrun", bool, False, "ignore --seconds, run until killed (TIMEOUT path)"),
    Option("--include-startup", bool, False,
           "count T from the process start, so Python/MPI start-up is inside T"),
)
SIZE = Option("--size", int, 65536, "message size in bytes", 1, 1 << 30)
RATE = Option("--rate", float, 0.0, "exchanges per second (0: as fast as possible)", 0, 1e6)
DUTY = Option("--duty", float, 1.0, "fraction of each period spent busy", 0.0, 1.0)
PERIOD = Option("--period", float, 0.1, "cpu duty-cycle period in seconds", 0.001, 10.0)
MIB = Option("--mib", int, 64, "memory footprint per rank in MiB", 1, 1 << 16)
CHUNK = Option("--chunk-kib", int, 1024, "bytes copied per step, KiB", 1, 1 << 20)
IO_DIR = Option("--dir", str, None, "directory for the files (default: $TMPDIR or /tmp)")
FILE_MIB = Option("--file-mib", int, 16, "file size per rank in MiB", 1, 1 << 16)
BLOCK = Option("--block-kib", int, 1024, "write/read block size in KiB", 1, 1 << 20)
FSYNC = Option("--fsync", bool, False, "fsync each file after writing it")
PHASE = Option("--phase-s", float, 1.0, "mixed: seconds per phase", 0.01, 1e6)
MIX = Option("--kernels", str, "cpu,allreduce,memory,halo", "mixed: phases, in order")


@dataclass(frozen=True)
class Kernel:
    """What a kernel is called, whether it uses several ranks, and its options."""

    name: str
    summary: str
    parallel: bool      # False: one process is enough, whatever the allocation
    options: tuple[Option, ...]
    collective: bool = False  # ranks must run in lock-step (needs mpi4py for >1 rank)


_NET = (SIZE, RATE)
_KERNELS = (
    Kernel("sleep", "sleep for T seconds", False, ()),
    Kernel("cpu", "busy at duty D", True, (DUTY, PERIOD)),
    Kernel("memory", "copy within a footprint (bandwidth)", True, (MIB, CHUNK)),
    Kernel("io", "write then read files in a directory", True, (IO_DIR, FILE_MIB, BLOCK, FSYNC)),
    Kernel("allreduce", "MPI_Allreduce (ring algorithm)", True, _NET, True),
    Kernel("alltoall", "MPI_Alltoall, --size per destination", True, _NET, True),
    Kernel("ring", "send --size to the right neighbour", True, _NET, True),
    Kernel("halo", "1-D halo: --size to both neighbours", True, _NET, True),
    Kernel("pingpong", "pairs (0,1), (2,3)... bounce --size", True, _NET, True),
)
_PHASE_KERNELS = tuple(k.name for k in _KERNELS if k.name != "sleep") + ("sleep",)


def _union(kernels: Sequence[Kernel]) -> tuple[Option, ...]:
    seen: dict[str, Option] = {}
    for kernel in kernels:
        for option in kernel.options:
            seen.setdefault(option.flag, option)
    return tuple(seen.values())


KERNELS: dict[str, Kernel] = {k.name: k for k in _KERNELS}
KERNELS["mixed"] = Kernel("mixed", "phases of other kernels in turn", True,
                          (MIX, PHASE) + _union(_KERNELS), True)


def phase_names(text: str) -> list[str]:
    """The kernels of a ``--kernels`` list; ValueError for an unknown or empty one."""
    names = [n for n in text.split(",") if n]
    bad = [n for n in names if n not in _PHASE_KERNELS]
    if bad or not names:
        raise ValueError(f"--kernels takes a comma list of {', '.join(_PHASE_KERNELS)}")
    return names


def kernel(name: str) -> Kernel:
    """The kernel called ``name``; ValueError lists the known ones."""
    try:
        return KERNELS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown kernel {name!r}; known: {', '.join(KERNELS)}") from None


def canonical_args(name: str, args: Sequence[str]) -> list[str]:
    """Validate extra arguments for kernel ``name`` and write them out canonically.

    Accepts ``--flag value``, ``--flag=value`` and bare boolean flags; ``--seconds`` is
    refused because the runtime comes from the job spec. Raises ValueError.
    """
    allowed = {o.flag: o for o in kernel(name).options + COMMON if o is not SECONDS}
    out: list[str] = []
    tokens = list(args)
    while tokens:
        flag, has_value, inline = tokens.pop(0).partition("=")
        option = allowed.get(flag)
        if option is None:
            raise ValueError(f"kernel {name} takes {', '.join(allowed) or 'no options'}; "
                             f"got {flag!r}")
        if option.kind is bool:
            if has_value:
                raise ValueError(f"{flag} takes no value")
            out.append(flag)
            continue
        if not has_value and not tokens:
            raise ValueError(f"{flag} needs a value")
        value = option.convert(inline if has_value else tokens.pop(0))
        if option is MIX:
            phase_names(str(value))
        out += [flag, option.format(value)]
    return out

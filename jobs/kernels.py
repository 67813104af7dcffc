"""Kernel name -> function, and the mixed kernel that runs the others in phases."""

from __future__ import annotations

import argparse
import itertools
from typing import Callable

from jobs import compute, files, network
from jobs.comm import Comm
from jobs.loop import Tally
from jobs.registry import phase_names
from jobs.timing import Clock

Runner = Callable[[Comm, argparse.Namespace, Clock], Tally]


def mixed(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    """Run ``--kernels`` in turn, ``--phase-s`` each, until the deadline.

    Phase ends are fixed offsets from the common start, and rank 0 decides whether a
    next phase begins, so all ranks enter each collective phase together.
    """
    names, total = phase_names(opts.kernels), Tally()
    for index in itertools.count():
        if comm.agree_stop(clock.expired()):
            return total
        phase = clock.until(clock.start + (index + 1) * opts.phase_s)
        total.add(RUNNERS[names[index % len(names)]](comm, opts, phase))
    raise AssertionError("unreachable")


RUNNERS: dict[str, Runner] = {
    "sleep": compute.sleep,
    "cpu": compute.cpu,
    "memory": compute.memory,
    "io": files.io,
    "allreduce": network.allreduce,
    "alltoall": network.alltoall,
    "ring": network.ring,
    "halo": network.halo,
    "pingpong": network.pingpong,
    "mixed": mixed,
}

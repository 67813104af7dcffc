"""Kernels that load one node: sleep, cpu (duty cycle) and memory (bandwidth)."""

from __future__ import annotations

import argparse
import time

from jobs.comm import Comm
from jobs.loop import Tally, run_steps
from jobs.timing import Clock, sleep_until


def sleep(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    """Do nothing until the deadline (pure scheduler runs)."""
    sleep_until(clock, clock.end)
    return Tally()


def _spin(clock: Clock, cpu0: float, cpu_target: float, until: float) -> None:
    """Burn CPU until this process has used ``cpu_target`` s, or wall time ``until``."""
    x = 1.0
    while time.process_time() - cpu0 < cpu_target and time.monotonic() < until:
        if clock.stop.requested:
            return
        for _ in range(200):  # ~10 us of arithmetic between clock reads
            x = x * 1.000001 + 1e-9


def cpu(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    """Busy for ``duty`` of each period, steered by the CPU time actually consumed.

    Each period spins until the process's CPU time reaches duty x (wall time at the
    period's end): time lost to other processes or to start-up is made up in the next
    period, so cpu_s / runtime_s converges on the duty.
    """
    cpu0, tally = time.process_time(), Tally()
    while not clock.expired():
        slot_end = min(clock.elapsed() + opts.period, clock.seconds)
        _spin(clock, cpu0, opts.duty * slot_end, clock.start + slot_end)
        sleep_until(clock, clock.start + slot_end)
        tally.iterations += 1
    return tally


def memory(comm: Comm, opts: argparse.Namespace, clock: Clock) -> Tally:
    """Copy chunks from one half of a footprint to the other (memcpy bandwidth)."""
    half = (opts.mib << 20) // 2
    chunk = min(opts.chunk_kib << 10, half)
    view = memoryview(bytearray(2 * half))
    state = {"offset": 0}

    def step() -> None:
        at = state["offset"]
        view[half + at:half + at + chunk] = view[at:at + chunk]
        state["offset"] = 0 if at + 2 * chunk > half else at + chunk

    iterations = run_steps(None, clock, step)
    return Tally(iterations, extra={"mem_bytes": iterations * chunk}, hold=[view.obj])

"""Deadlines, interruptible sleeps and the stop flag set by SIGTERM."""

from __future__ import annotations

import math
import os
import signal
import time
from dataclasses import dataclass, field
from typing import Callable

# Longest uninterrupted sleep: a SIGTERM handler only sets a flag, so sleeps are
# chunked to notice it within this many seconds.
_SLICE_S = 0.05


@dataclass
class Stop:
    """Set when the job is told to stop (SIGTERM from scancel or the time limit)."""

    requested: bool = False
    signum: int = 0

    def install(self, *signums: int) -> None:
        """Catch ``signums`` (default SIGTERM, SIGINT): stop the loop instead of dying."""
        for signum in signums or (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.requested, self.signum = True, signum


@dataclass
class Clock:
    """A run of ``seconds`` from ``start`` on the monotonic clock (inf: until stopped)."""

    seconds: float
    stop: Stop = field(default_factory=Stop)
    start: float = field(default_factory=time.monotonic)

    @property
    def end(self) -> float:
        return self.start + self.seconds

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self, margin: float = 0.0) -> bool:
        """True once stopped, or when less than ``margin`` seconds are left."""
        return self.stop.requested or self.remaining() <= margin

    def until(self, when: float) -> "Clock":
        """A clock from now to monotonic time ``when``, never outlasting this one."""
        now = time.monotonic()
        return Clock(max(0.0, min(when, self.end) - now), self.stop, now)


def sleep_until(clock: Clock, when: float) -> None:
    """Sleep until monotonic time ``when`` (at most to the clock's end), or a stop."""
    when = min(when, clock.end)
    while not clock.stop.requested:
        left = when - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, _SLICE_S))


class StepTimer:
    """Running mean of a loop step's work time, to stop at the step nearest the deadline.

    Stopping when less than half a step is left makes the expected end error zero
    instead of always overshooting by part of a step. Pacing sleeps are not counted:
    they are clipped to the deadline anyway.
    """

    def __init__(self) -> None:
        self.mean = 0.0

    def run(self, step: Callable[[], object]) -> None:
        began = time.monotonic()
        step()
        took = time.monotonic() - began
        self.mean = took if self.mean == 0.0 else 0.8 * self.mean + 0.2 * took

    def margin(self) -> float:
        return self.mean / 2


def process_age() -> float:
    """Seconds since this process started (Linux /proc), 0.0 where that is unknown.

    Python and MPI start-up take ~0.4 s here; counting them lets the whole process,
    as Slurm times it, last T instead of T plus start-up.
    """
    try:
        stat = open("/proc/self/stat").read()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME)
                   - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def runqueue_wait() -> float:
    """Seconds this thread has waited for a CPU while runnable (Linux schedstat).

    A kernel that misses its duty because other processes held the cores shows it
    here, which separates machine contention from kernel error. 0.0 if unknown.
    """
    try:
        return int(open("/proc/thread-self/schedstat").read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def forever() -> float:
    """The ``seconds`` of a clock that only a signal ends (``--overrun``)."""
    return math.inf

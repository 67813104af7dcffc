"""The step loop every kernel runs: until the deadline, optionally paced, in lock-step."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from jobs.comm import Comm
from jobs.timing import Clock, StepTimer, sleep_until


@dataclass
class Tally:
    """What one rank did; ``extra`` counters are summed over ranks in the result."""

    iterations: int = 0
    bytes_sent: int = 0
    extra: dict[str, int] = field(default_factory=dict)
    # Large buffers, released after the result is out: freeing 64 MiB takes ~4 ms,
    # which would otherwise land after the deadline inside runtime_s.
    hold: list[object] = field(default_factory=list, repr=False)

    def add(self, other: "Tally") -> None:
        """Fold a phase's tally into this one (the mixed kernel)."""
        self.iterations += other.iterations
        self.bytes_sent += other.bytes_sent
        for key, value in other.extra.items():
            self.extra[key] = self.extra.get(key, 0) + value
        self.hold += other.hold


def run_steps(comm: Comm | None, clock: Clock, step: Callable[[], object],
              *, rate: float = 0.0) -> int:
    """Call ``step`` until ``clock`` runs out; return how many times it ran.

    With a ``comm``, rank 0 decides each round whether to go on and broadcasts it, so
    every rank stops after the same iteration (collectives never hang half-way). With
    ``rate`` > 0, step ``n`` starts no earlier than ``n / rate`` after the first.
    """
    timer, count, first = StepTimer(), 0, time.monotonic()
    while True:
        stop = clock.expired(timer.margin())
        if comm is not None:
            stop = comm.agree_stop(stop)
        if stop:
            return count
        timer.run(step)
        count += 1
        if rate > 0:
            sleep_until(clock, first + count / rate)

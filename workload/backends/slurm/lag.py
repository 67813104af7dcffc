"""How far submissions run behind the workload's clock, said while the run goes on.

Each submission's lag is how late it began against its intended time (the trace's,
compressed). When the cluster (or this machine) cannot keep up the lag grows, and the
user hears it in one line at most every ``every_s`` seconds; the run's largest lag goes
into its metrics as ``submit_lag_max_s``. A job held for its parents' Slurm ids counts
its lag from its release (waiting for a parent is not submitting late); the largest lag
against the workload's own times, that wait included (a chain A -> B -> C all due at 0
is late by B's and C's waits too: wlgen's own backlog), is ``submit_lag_workload_max_s``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

SAY_ABOVE_S = 1.0     # lags below this are normal jitter on a busy machine
EVERY_S = 10.0


def to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class Lag:
    """The largest lag so far, and a line to ``say`` when it is worth saying."""

    def __init__(self, say: Callable[[str], None] = to_stderr, *, above_s: float = SAY_ABOVE_S,
                 every_s: float = EVERY_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.say, self.above_s, self.every_s, self.clock = say, above_s, every_s, clock
        self.max_s = 0.0
        self.workload_max_s = 0.0   # against the workload's times (see the module)
        self.said_at: float | None = None
        self.lock = threading.Lock()

    def note_workload(self, lag_s: float) -> None:
        """One submission began ``lag_s`` after its job's time in the workload."""
        with self.lock:
            self.workload_max_s = max(self.workload_max_s, lag_s)

    def note(self, lag_s: float, queued: int) -> None:
        """One submission began ``lag_s`` late with ``queued`` jobs still waiting."""
        now = self.clock()
        with self.lock:
            self.max_s = max(self.max_s, lag_s)
            if lag_s <= self.above_s or (self.said_at is not None
                                         and now - self.said_at < self.every_s):
                return
            self.said_at = now
        self.say(f"wlgen: submissions are {lag_s:.1f} s behind the workload's clock "
                 f"({queued} job(s) waiting for a submit worker): the cluster is not keeping "
                 f"up")

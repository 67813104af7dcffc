"""Is slurmctld still there? When it last answered, and the run's end when it stays away.

Every query and submit reports here whether the controller answered. A controller that
has not answered for longer than ``timeout_s`` (``--controller-timeout``) is lost: the
backend's ``failure()`` then names the cluster and how long it was unreachable, and the
run ends instead of waiting forever. A restart shorter than that is only a pause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from workload.errors import BackendError

DEFAULT_TIMEOUT_S = 300.0


class ControllerLost(BackendError):
    """slurmctld did not answer for longer than the controller timeout."""


class Contact:
    """The last answer from slurmctld, and whether the controller is lost."""

    def __init__(self, cluster: str, timeout_s: float = DEFAULT_TIMEOUT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not timeout_s > 0:
            raise ValueError(f"controller timeout must be > 0 s, got {timeout_s!r}")
        self.cluster, self.timeout_s, self.clock = cluster, timeout_s, clock
        #: When the first request since the last answer went unanswered (None: it answers).
        self.since: float | None = None
        self.last_error = ""
        self.lost: ControllerLost | None = None
        self.lock = threading.Lock()

    def answered(self) -> None:
        with self.lock:
            self.since, self.last_error = None, ""

    def missed(self, why: str) -> None:
        """A request got no answer; lost once none has come for longer than the timeout
        (counted from the first unanswered request, not from the last answer: a quiet
        hour of a trace without requests is no outage)."""
        now = self.clock()
        with self.lock:
            self.last_error = why.strip().splitlines()[-1][:200] if why.strip() else ""
            if self.since is None:
                self.since = now
            silent = now - self.since
            if self.lost is None and silent > self.timeout_s:
                self.lost = ControllerLost(
                    f"cluster {self.cluster}: slurmctld unreachable for {silent:.0f} s "
                    f"(--controller-timeout {self.timeout_s:g}); last error: "
                    f"{self.last_error or 'none'}")

    def stop_reason(self, stopping: bool) -> str | None:
        """Why retries should stop now: the controller is lost, or (``stopping``) the
        run is stopping; None to go on (the backend's and the watcher's one rule)."""
        if self.lost is not None:
            return str(self.lost)
        return "the run is stopping" if stopping else None

    def silent_s(self) -> float:
        """Seconds the controller has left requests unanswered (0 while it answers)."""
        with self.lock:
            return 0.0 if self.since is None else self.clock() - self.since

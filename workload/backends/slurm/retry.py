"""Retrying through a busy, full or restarting slurmctld: the rules and the one loop.

``classify`` files an error text (sbatch's stderr, a slurmrestd answer) as RETRY (the
job was certainly not created), AMBIGUOUS (it may have been: look it up by its tag
before trying again) or REJECT. ``retry`` is the only retry loop of the Slurm backend:
backoff doubling to a cap, a deadline, and a stop condition (the controller is lost,
the run is closing). Its clock and sleep are parameters, so tests need no real waiting.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from workload.errors import BackendError

RETRY, AMBIGUOUS, REJECT = "retry", "ambiguous", "reject"
T = TypeVar("T")

# The job was certainly not created: slurmctld was busy, full or unreachable.
_RETRY = re.compile(r"Resource temporarily unavailable|EAGAIN|temporarily unable|"
                    r"Unable to contact slurm controller|Connection refused|queue full|"
                    r"MaxJobCount|Slurm is busy|Too many|Unable to establish|"
                    r"Network is unreachable|No route to host", re.I)
# Of those, the ones slurmctld itself answered with: it is there, only busy or full.
_BUSY = re.compile(r"Resource temporarily unavailable|EAGAIN|temporarily unable|queue full|"
                   r"MaxJobCount|Slurm is busy|Too many", re.I)
# The request may have reached slurmctld before the answer was lost. ENOTCONN ("Transport
# endpoint is not connected") is what sbatch said when slurmctld restarted under it;
# "Unexpected message received" what scontrol release said with slurmctld stopped.
_AMBIGUOUS = re.compile(r"Socket timed out|Zero Bytes were transmitted|Connection reset|"
                        r"Broken pipe|Transport endpoint is not connected|"
                        r"Unexpected message received|wlgen agent: timed out", re.I)


def classify(stderr: str) -> str:
    """RETRY, AMBIGUOUS (look the job up by its tag before retrying) or REJECT."""
    if _AMBIGUOUS.search(stderr):
        return AMBIGUOUS
    if _RETRY.search(stderr):
        return RETRY
    return REJECT


def busy(text: str) -> bool:
    """True when the words are slurmctld's own "busy" or "full": it answered."""
    return bool(_BUSY.search(text))


def backoff(attempt: int, base: float = 0.2, cap: float = 5.0) -> float:
    """Seconds to wait before attempt ``attempt`` (1, 2, ...): doubling up to ``cap``."""
    return min(cap, base * 2 ** max(0, attempt - 1))


class GaveUp(BackendError):
    """Retries ran out (deadline or stop); the last failure is ``__cause__``. ``stopped``
    is the stop's reason when a stop ended them (None: the deadline did)."""

    def __init__(self, text: str, stopped: str | None = None) -> None:
        super().__init__(text)
        self.stopped = stopped
        # A submit's: an answer was lost and nothing settled whether Slurm took the job.
        self.maybe_taken = False


@dataclass(frozen=True)
class Patience:
    """How long to keep trying, and how time passes (real by default)."""

    give_up_s: float = 180.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    #: A reason to stop at once (the controller is lost, the backend closing), or None.
    stop: Callable[[], str | None] = field(default=lambda: None)


def retry(call: Callable[[], T], *, again: type[Exception] | tuple[type[Exception], ...],
          patience: Patience, what: str) -> T:
    """``call()``'s value; a failure of type ``again`` is tried again after a backoff
    until ``patience`` runs out, then GaveUp. Other exceptions pass through at once."""
    deadline = patience.clock() + patience.give_up_s
    attempt = 0
    while True:
        attempt += 1
        try:
            return call()
        except again as error:
            wait = backoff(attempt)
            stop = patience.stop()
            if stop or patience.clock() + wait > deadline:
                why = stop or f"gave up after {attempt} attempts in {patience.give_up_s:g} s"
                raise GaveUp(f"{what}: {why}: {error}", stop) from error
        patience.sleep(wait)

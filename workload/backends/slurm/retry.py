"""What to do after a failed sbatch: retry, find out whether it happened, or give up."""

from __future__ import annotations

import re

RETRY, AMBIGUOUS, REJECT = "retry", "ambiguous", "reject"

# The job was certainly not created: slurmctld was busy, full or unreachable.
_RETRY = re.compile(r"Resource temporarily unavailable|EAGAIN|temporarily unable|"
                    r"Unable to contact slurm controller|Connection refused|queue full|"
                    r"MaxJobCount|Slurm is busy|Too many|Unable to establish", re.I)
# The request may have reached slurmctld before the answer was lost.
_AMBIGUOUS = re.compile(r"Socket timed out|Zero Bytes were transmitted|Connection reset|"
                        r"Broken pipe|wlgen agent: timed out", re.I)


def classify(stderr: str) -> str:
    """RETRY, AMBIGUOUS (look the job up by its tag before retrying) or REJECT."""
    if _AMBIGUOUS.search(stderr):
        return AMBIGUOUS
    if _RETRY.search(stderr):
        return RETRY
    return REJECT


def backoff(attempt: int, base: float = 0.2, cap: float = 5.0) -> float:
    """Seconds to wait before attempt ``attempt`` (1, 2, ...): doubling up to ``cap``."""
    return min(cap, base * 2 ** max(0, attempt - 1))

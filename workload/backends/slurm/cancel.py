"""Cancelling jobs: tried again through a busy or unreachable controller, never for ever.

The clients tell a job that has already ended (fine: scancel is silent about it,
slurmrestd answers "already completing or completed" or, once the job is purged,
"Invalid job id") from a real failure, which they raise as ClientFailure. A failure
Slurm answered (permission denied) is final; one it did not answer (controller down,
slurmrestd unreachable) is tried again by the one retry loop (retry.py) until its
patience runs out. Callers report what is left: a job wlgen could not cancel may still
be in Slurm's queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from workload.backends.slurm.client import ClientFailure
from workload.backends.slurm.retry import Patience, retry
from workload.errors import BackendError

#: How long one cancel keeps trying through a controller that does not answer: a run
#: that waits on the job (the watcher's DependencyNeverSatisfied) waits no longer.
GIVE_UP_S = 60.0


class Canceller(Protocol):
    def cancel(self, job_ids: Sequence[str]) -> None: ...


class Unanswered(BackendError):
    """A cancel that got no answer from Slurm: worth trying again."""


def cancel_retrying(client: Canceller, job_ids: Sequence[str], patience: Patience,
                    what: str) -> None:
    """Cancel ``job_ids``; ClientFailure when Slurm refused, retry.GaveUp when it did not
    answer within ``patience`` (both BackendError, naming the jobs and Slurm's words)."""
    def attempt() -> None:
        try:
            client.cancel(job_ids)
        except ClientFailure as failure:
            if failure.refused:
                raise   # Slurm's own no: asking again changes nothing
            raise Unanswered(str(failure)) from failure
    retry(attempt, again=Unanswered, patience=patience, what=what)


def cancel_or_say(client: Canceller, job_ids: Sequence[str], patience: Patience,
                  say: Callable[[str], None], cluster: str) -> bool:
    """``cancel_retrying``; when it fails, ``say`` which jobs may still be in the cluster's
    queue (a run stopping with --cancel-on-exit). True when they were cancelled."""
    try:
        cancel_retrying(client, job_ids, patience, f"cancelling {len(job_ids)} job(s)")
    except BackendError as error:
        shown = " ".join(job_ids[:20]) + (" ..." if len(job_ids) > 20 else "")
        say(f"wlgen: could not cancel job(s) {shown} on {cluster}: {error}; they may "
            f"still be in its queue")
        return False
    return True

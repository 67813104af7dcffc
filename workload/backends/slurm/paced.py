"""The client the watcher polls through: submitting on time comes first.

A poll of the whole queue costs slurmctld (and squeue or slurmrestd) a dump of every
job, and during a storm of one-job requests that dump competes with the submissions
for the same controller and cores: measured on 2,000 jobs of distinct shapes
(bench/storm_slurm.py --distinct), the watcher's polls halved the REST client's rate
and cost the CLI client's more than sbatch itself. So while jobs wait for a submit
worker, a whole-queue poll waits until they are taken, for at most ``defer_s`` (a
bounded wait: job states then come at least that often). Events lose nothing by it:
their times are Slurm's own, read from the records.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from workload.backends.slurm.client import Described, SlurmClient, User
from workload.backends.slurm.parse import JobRecord
from workload.backends.slurm.request import SubmitRequest

DEFER_S = 5.0
STEP_S = 0.05


class PacedQueries:
    """``client`` with ``queue()`` (the whole queue) held back while ``backlog() > 0``."""

    def __init__(self, client: SlurmClient, backlog: Callable[[], int], *,
                 defer_s: float = DEFER_S, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client, self.backlog, self.defer_s = client, backlog, defer_s
        self.clock, self.sleep = clock, sleep
        self.warm_users = client.warm_users
        self.deferred = 0   # polls that waited for the submissions

    def queue(self, name: str | None = None) -> list[JobRecord]:
        if name is None and self.backlog() > 0:   # a look-up by name is never held back
            self.deferred += 1
            deadline = self.clock() + self.defer_s
            while self.backlog() > 0 and self.clock() < deadline:
                self.sleep(STEP_S)
        return self.client.queue(name)

    def describe(self) -> Described:
        return self.client.describe()

    def submit(self, request: SubmitRequest, user: User | None) -> str:
        return self.client.submit(request, user)

    def cancel(self, job_ids: Sequence[str]) -> None:
        self.client.cancel(job_ids)

    def accounting(self, job_ids: Sequence[str]) -> list[JobRecord]:
        return self.client.accounting(job_ids)

    def release(self, job_ids: Sequence[str]) -> None:
        self.client.release(job_ids)

    def warm(self, user: User) -> None:
        self.client.warm(user)

    def close(self) -> None:
        self.client.close()

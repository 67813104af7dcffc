"""What the Slurm backend needs of a way to reach Slurm: four verbs and how they fail.

Two clients implement it: ``cli.CliClient`` (the client commands, through a Runner)
and ``rest.RestSlurmClient`` (slurmrestd). Everything above them (the submit pool,
retries, reconcile-before-retry, the tracker and watcher) is one ``SlurmBackend``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from workload.backends.base import NodeInfo
from workload.backends.slurm.parse import JobRecord
from workload.backends.slurm.request import SubmitRequest
from workload.backends.slurm.retry import REJECT, classify
from workload.errors import BackendError


class ClientFailure(BackendError):
    """No usable answer, or Slurm's no. ``verdict`` (retry.RETRY, AMBIGUOUS or REJECT)
    says what a submit may do next: try again, look the job up first, or give up.
    ``jobs``: the job ids a refusal of several was about, when Slurm named them (scancel
    goes on past a job it may not cancel); None: all the ids asked about."""

    def __init__(self, text: str, verdict: str | None = None,
                 jobs: Collection[str] | None = None) -> None:
        super().__init__(text)
        self.verdict = verdict or classify(text)
        self.jobs = None if jobs is None else frozenset(jobs)

    @property
    def refused(self) -> bool:
        return self.verdict == REJECT

    def refuses(self, job_id: str) -> bool:
        """Whether Slurm said no to ``job_id`` itself (not only to another of the ids)."""
        return self.refused and (self.jobs is None or job_id in self.jobs)


@dataclass(frozen=True, slots=True)
class User:
    """Who a job runs as: the name (REST tokens) and its ids (commands run as them)."""

    name: str
    ids: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Described:
    """What a client reads of the cluster."""

    nodes: tuple[NodeInfo, ...]
    default_partition: str | None
    release: str | None
    api: str | None = None


class SlurmClient(Protocol):
    """Submit, cancel, and the two status queries; every method may raise ClientFailure."""

    #: How many users ``warm`` is worth calling for (0: it does nothing).
    warm_users: int

    def describe(self) -> Described:
        """Nodes, default partition and release."""

    def submit(self, request: SubmitRequest, user: User | None) -> str:
        """The new job's id (an array's own id for an array)."""

    def cancel(self, job_ids: Sequence[str]) -> None:
        """Cancel these jobs; jobs that ended meanwhile are no failure."""

    def queue(self, name: str | None = None) -> list[JobRecord]:
        """slurmctld's view: every job (array tasks one each), or those named ``name``."""

    def accounting(self, job_ids: Sequence[str]) -> list[JobRecord]:
        """What accounting holds of these jobs ([] when the cluster keeps none)."""

    def release(self, job_ids: Sequence[str]) -> None:
        """Release held jobs."""

    def warm(self, user: User) -> None:
        """Make the first command as ``user`` as fast as the next (before the clock)."""

    def close(self) -> None:
        """Release processes and connections."""

"""A cluster for the length of a ``with``: up or reuse, cancel its jobs, down what it made.

    with session(ClusterSpec(name="wlgen-x", nodes=2)) as s:
        s.cluster.slurm(["sbatch", ...]); s.track_job("12")        # or s.track_prefix(...)
    # tracked jobs cancelled; the cluster removed if this session started it

The one owner of a cluster's lifetime for scenarios (`wlgen run --backend slurm`), the
pytest plugin's ``slurm_cluster`` and the project's own test clusters (tests/clusters.py).
A cluster of that name already running with the same shape is reused and left running
(``fresh`` removes it first, so the session owns a new one). A cluster a session makes
carries its owner (pid, pid namespace, boot; workload.cluster.owner) until the session
ends, so ``reap`` (`wlgen cluster down --stale`, and every test session's start) can
remove it after that process died without cleaning up (SIGKILL); ``keep`` releases it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from workload.cluster import owner
from workload.cluster.cluster import Cluster
from workload.cluster.config import ClusterSpec
from workload.cluster.lifecycle import Progress, down, up
from workload.errors import ClusterError

# scancel's words for a job that ended between our squeue and our scancel.
ENDED_MEANWHILE = ("already completing or completed", "Invalid job id specified")


class Session:
    """The cluster, whether this session made it, and the jobs it cancels at exit."""

    def __init__(self, cluster: Cluster, made: bool) -> None:
        self.cluster, self.made = cluster, made
        self.jobs: list[str] = []
        self.prefixes: list[str] = []

    def track_job(self, job_id: str) -> None:
        """Cancel job ``job_id`` at exit (if it is still queued or running)."""
        self.jobs.append(str(job_id))

    def track_prefix(self, prefix: str) -> None:
        """Cancel every job whose name starts with ``prefix`` at exit (a run's jobs:
        ``workload.backends.slurm.tags.run_prefix(run_id)``)."""
        self.prefixes.append(prefix)

    def cancel(self) -> list[str]:
        """Cancel the tracked jobs still in the queue; their ids."""
        if not (self.jobs or self.prefixes):
            return []
        out = self.cluster.slurm(["squeue", "--noheader", "--format=%i|%j"], timeout=60)
        ids = [job for job, _, name in (line.partition("|") for line in out.splitlines())
               if self._tracked(job, name)]
        if ids:
            done = self.cluster.exec("ctld", ["scancel", *ids], timeout=60)
            errors = [line for line in done.stderr.decode(errors="replace").splitlines()
                      if line.strip() and not any(gone in line for gone in ENDED_MEANWHILE)]
            if done.returncode != 0 and errors:
                raise ClusterError(f"scancel {' '.join(ids)} failed: {errors[-1]}")
        return ids

    def _tracked(self, job: str, name: str) -> bool:
        return (job.split("_")[0] in self.jobs) or name.startswith(tuple(self.prefixes))


def reap(progress: Progress = lambda msg: None) -> list[str]:
    """Remove every cluster whose owning session died without its down (SIGKILL)."""
    names = owner.stale()
    for name in names:
        down(name, progress=progress)
    return names


@contextmanager
def session(spec: ClusterSpec, *, fresh: bool = False, keep: bool = False,
            timeout: float = 300, progress: Progress = lambda msg: None,
            before_down: Callable[[Cluster], None] | None = None) -> Iterator[Session]:
    """Up ``spec`` (or reuse it running), yield a Session, cancel its tracked jobs and
    call ``before_down``; then down the cluster if this session made it (unless
    ``keep``). A failed up is downed too: its containers would outlive the session."""
    made = fresh or Cluster.running(spec.name) is None
    if made:
        # Anything of that name that is not fully running goes (as up would do), so the
        # owner claimed here survives until our own down.
        down(spec.name, progress=progress)
        owner.claim(spec.name)
    try:
        current = Session(up(spec, timeout=timeout, progress=progress), made)
        try:
            yield current
        finally:
            _clean(current, before_down)
    finally:
        if made and not keep:
            down(spec.name, progress=progress)
        elif made:
            owner.release(spec.name)   # kept on purpose: no longer a leftover to reap


def _clean(current: Session, before_down: Callable[[Cluster], None] | None) -> None:
    # A cluster removed under the session (by hand, `wlgen cluster down`) has no jobs to
    # cancel and nothing to undo: cleaning it could only fail. One with any container
    # left is cleaned, and a failure there is real.
    if not current.cluster.container_states():
        return
    try:
        current.cancel()
    finally:
        if before_down:
            before_down(current.cluster)

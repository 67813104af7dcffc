"""A submission storm: N jobs at once, at a fixed rate, or as a Poisson process."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from workload.errors import InputError
from workload.sources.base import Source
from workload.sources.dist import Dist
from workload.sources.gpus import GpuShare
from workload.spec import JobSpec


# An all-at-once storm puts every job in the queue at t=0 (about 1 KB each in the
# simulator and the run's bookkeeping), so it is bounded; a storm at a rate streams.
MAX_AT_ONCE = 1_000_000


def default_limit(runtime_s: float) -> float:
    """Twice the run time rounded up to whole minutes (Slurm limits are minutes)."""
    return 60.0 * math.ceil(max(2 * runtime_s, 60.0) / 60.0)


def user_name(number: int) -> str:
    return f"u{number}"


def check_storm(jobs: int, *, rate: float | None, poisson: bool, time_limit_s: float | None,
                users: int, seed: int) -> None:
    """InputError (``field`` the parameter's name) for a storm that breaks a rule."""
    if jobs < 0:
        raise InputError("must be >= 0", field="jobs", value=jobs)
    if rate is not None and not 0 < rate < math.inf:
        raise InputError("must be a finite number > 0 (jobs/s)", field="rate", value=rate)
    if rate is None and jobs > MAX_AT_ONCE:
        raise InputError(f"an all-at-once storm queues every job at once (about 1 KB each): "
                         f"at most {MAX_AT_ONCE:,} jobs; give a rate to stream them",
                         field="jobs", value=jobs)
    if poisson and rate is None:
        raise InputError("a Poisson storm needs a rate", field="poisson", value=poisson)
    if time_limit_s is not None and not 0 < time_limit_s < math.inf:
        raise InputError("must be a finite number > 0 (s)", field="time_limit_s",
                         value=time_limit_s)
    if users < 1:
        raise InputError("must be >= 1", field="users", value=users)
    if not 0 <= seed < 2**32:
        raise InputError("must be between 0 and 2**32 - 1", field="seed", value=seed)


class StormSource(Source):
    """``jobs`` jobs; ``rate`` None means all at t=0, else jobs/s (``poisson``: random gaps)."""

    name = "storm"

    def __init__(self, jobs: int, *, rate: float | None = None, poisson: bool = False,
                 size: str = "1", runtime: str = "10-60", time_limit_s: float | None = None,
                 users: int = 1, seed: int = 0, job_gpus: str | None = None,
                 gpu_share: float | None = None) -> None:
        super().__init__()
        check_storm(jobs, rate=rate, poisson=poisson, time_limit_s=time_limit_s, users=users,
                    seed=seed)
        self.jobs, self.rate, self.poisson, self.users, self.seed = jobs, rate, poisson, users, seed
        self.size = Dist(size, option="size", integer=True)
        self.runtime = Dist(runtime, option="runtime", integer=False)
        self.time_limit_s = time_limit_s
        self.max_procs = None
        self.gpus = GpuShare(job_gpus, gpu_share, seed=seed)

    def __iter__(self) -> Iterator[JobSpec]:
        return self.gpus.mark(self._jobs())

    def _jobs(self) -> Iterator[JobSpec]:
        rng = np.random.default_rng(self.seed)
        when = 0.0
        for seq in range(self.jobs):
            if seq and self.rate:
                when += rng.exponential(1 / self.rate) if self.poisson else 1 / self.rate
            runtime = self.runtime.draw(rng)
            user = seq % self.users + 1
            yield JobSpec(seq=seq, submit_s=when, procs=int(self.size.draw(rng)),
                          runtime_s=runtime,
                          time_limit_s=self.time_limit_s or default_limit(runtime),
                          user=user_name(user), group=f"g{user}", source_id=seq + 1)

    def user_names(self) -> list[str]:
        """Every user the storm's jobs run as (no more users than jobs)."""
        return [user_name(i) for i in range(1, min(self.users, self.jobs) + 1)]

    def describe(self) -> dict[str, object]:
        return {"source": self.name, "jobs": self.jobs, "rate": self.rate,
                "poisson": self.poisson, "size": self.size.spec, "runtime": self.runtime.spec,
                "time_limit_s": self.time_limit_s, "users": self.users, "seed": self.seed,
                **self.gpus.describe()}

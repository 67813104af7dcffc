"""A submission storm: N jobs at once, at a fixed rate, or as a Poisson process."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from workload.errors import InputError
from workload.sources.base import Source
from workload.sources.dist import Dist
from workload.spec import JobSpec


def default_limit(runtime_s: float) -> float:
    """Twice the run time rounded up to whole minutes (Slurm limits are minutes)."""
    return 60.0 * math.ceil(max(2 * runtime_s, 60.0) / 60.0)


def user_name(number: int) -> str:
    return f"u{number}"


class StormSource(Source):
    """``jobs`` jobs; ``rate`` None means all at t=0, else jobs/s (``poisson``: random gaps)."""

    name = "storm"

    def __init__(self, jobs: int, *, rate: float | None = None, poisson: bool = False,
                 size: str = "1", runtime: str = "10-60", time_limit_s: float | None = None,
                 users: int = 1, seed: int = 0) -> None:
        super().__init__()
        if jobs < 0:
            raise InputError(f"--jobs must be >= 0, got {jobs}")
        if rate is not None and rate <= 0:
            raise InputError(f"--rate must be > 0 jobs/s, got {rate:g}")
        if poisson and rate is None:
            raise InputError("--poisson needs --rate")
        if users < 1:
            raise InputError(f"--users must be >= 1, got {users}")
        self.jobs, self.rate, self.poisson, self.users, self.seed = jobs, rate, poisson, users, seed
        self.size = Dist(size, option="--size", integer=True)
        self.runtime = Dist(runtime, option="--runtime", integer=False)
        self.time_limit_s = time_limit_s
        self.max_procs = None

    def __iter__(self) -> Iterator[JobSpec]:
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
        """Every user the storm's jobs run as."""
        return [user_name(i) for i in range(1, self.users + 1)]

    def describe(self) -> dict[str, object]:
        return {"source": self.name, "jobs": self.jobs, "rate": self.rate,
                "poisson": self.poisson, "size": self.size.spec, "runtime": self.runtime.spec,
                "time_limit_s": self.time_limit_s, "users": self.users, "seed": self.seed}

"""Mark a share of a source's jobs as GPU jobs (storm and Lublin; issue 16).

``job_gpus`` is how many GPUs a GPU job asks for, for the whole job: ``N``,
``LOW-HIGH`` or ``pow2:LOW-HIGH``; ``gpu_share`` the fraction of jobs that are GPU
jobs (1 when only ``job_gpus`` is given). The draws come from their own seeded stream,
so the same seed gives the same jobs, with or without GPUs, and the same GPU jobs
whatever the source's other options.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from workload.errors import InputError
from workload.sources.dist import Dist
from workload.spec import JobSpec

_STREAM = 16   # the GPU draws' own stream of the seed (the issue's number)


class GpuShare:
    """Which jobs use GPUs and how many; ``None`` job_gpus means none do."""

    def __init__(self, job_gpus: str | None, gpu_share: float | None, *, seed: int,
                 gpu_type: str | None = None) -> None:
        if job_gpus is None and gpu_share is not None:
            raise InputError("needs --job-gpus (how many GPUs a GPU job asks for)",
                             field="gpu_share", value=gpu_share)
        if gpu_share is not None and not 0 <= gpu_share <= 1:
            raise InputError("must be a fraction between 0 and 1", field="gpu_share",
                             value=gpu_share)
        self.dist = None if job_gpus is None else Dist(job_gpus, option="job_gpus",
                                                       integer=True)
        if self.dist is not None and self.dist.kind == "exp":
            raise InputError("expected N, LOW-HIGH or pow2:LOW-HIGH", field="job_gpus",
                             value=job_gpus)
        self.share = 1.0 if gpu_share is None else gpu_share
        self.seed, self.gpu_type = seed, gpu_type

    def __bool__(self) -> bool:
        return self.dist is not None and self.share > 0

    def mark(self, specs: Iterable[JobSpec]) -> Iterator[JobSpec]:
        """The specs, a share of them with GPUs (two draws a job, used or not)."""
        if not self or self.dist is None:
            yield from specs
            return
        rng = np.random.default_rng((self.seed, _STREAM))
        for spec in specs:
            uses, count = rng.random() < self.share, int(self.dist.draw(rng))
            yield spec.with_(gpus=count, gpu_type=self.gpu_type) if uses else spec

    def describe(self) -> dict[str, object]:
        if self.dist is None:
            return {}
        return {"job_gpus": self.dist.spec, "gpu_share": self.share}

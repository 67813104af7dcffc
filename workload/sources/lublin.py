"""The Lublin-Feitelson 2003 workload model (J. Parallel Distrib. Comput. 63(11)).

Parameters are the published ones (the authors' ``lublin99.c``): job size from a
two-stage uniform over log2(size) with extra weight on powers of two, run time from a
hyper-gamma over log(runtime) whose mix depends on size, arrivals from a gamma over
log(inter-arrival) modulated by a daily cycle of 48 half-hour buckets.

System size is a parameter: the published size parameters are for 2^7 = 128 nodes; for
P processors ``UHi = log2(P)`` and ``ULow``/``UMed`` keep their published distance
below ``UHi`` (the paper advises UMed in [UHi-3.5, UHi-1.5]).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from workload.errors import InputError
from workload.sources.base import Source
from workload.sources.draws import Draws
from workload.sources.estimates import EstimateModel
from workload.sources.gpus import GpuShare
from workload.spec import JobSpec
from workload.swf import Header, SwfRecord

MAX_LOG_RUNTIME = 12.0      # runtimes above e^12 s (~2 days) are redrawn
MAX_LOG_ARRIVAL = 13.0      # inter-arrivals above e^13 s (~5 days) are redrawn
BUCKETS, BUCKET_S = 48, 1800
CYCLIC_DAY_START = 11
PUBLISHED_UHI = 7.0
INTERACTIVE, BATCH = 0, 1


@dataclass(frozen=True)
class Params:
    """One job type's published parameters."""

    serial_prob: float
    pow2_prob: float
    ulow: float
    umed: float
    uhi: float
    uprob: float
    a1: float
    b1: float
    a2: float
    b2: float
    pa: float
    pb: float
    aarr: float
    barr: float
    anum: float
    bnum: float
    arar: float


BATCH_PARAMS = Params(0.2927, 0.6686, 1.2, 5, 7, 0.875, 6.57, 0.823, 639.1, 0.0156,
                      -0.003, 0.6986, 6.0415, 0.8531, 6.1271, 5.2740, 1.0519)
INTERACTIVE_PARAMS = Params(0.1541, 0.625, 1, 3, 5.5, 0.705, 3.8351, 0.6605, 7.073, 0.6856,
                            -0.0118, 0.9156, 6.5510, 0.6621, 8.9186, 3.6680, 0.9797)
TYPELESS_PARAMS = Params(0.244, 0.576, 0.8, 4.5, 7, 0.86, 4.2, 0.94, 312, 0.03,
                         -0.0054, 0.78, 10.2303, 0.4871, 8.1737, 3.9631, 1.0225)
KINDS = ("mixed", "batch", "interactive", "typeless")


def gamma_cdf(x: float, shape: float, scale: float) -> float:
    """Regularised lower incomplete gamma P(shape, x/scale), by series (x is small here)."""
    x /= scale
    term = total = 1.0 / shape
    a = shape
    for _ in range(1000):
        a += 1
        term *= x / a
        total += term
        if term < total * 1e-12:
            break
    return total * math.exp(-x + shape * math.log(x) - math.lgamma(shape))


def bucket_weights(params: Params) -> list[float]:
    """Relative arrival intensity of each half-hour of the day, mean 1."""
    weights = [0.0] * BUCKETS
    for i in range(CYCLIC_DAY_START, BUCKETS + CYCLIC_DAY_START):
        weights[(i - 1) % BUCKETS] = (gamma_cdf(i + 0.5, params.anum, params.bnum)
                                      - gamma_cdf(i - 0.5, params.anum, params.bnum))
    mean = sum(weights) / BUCKETS
    return [w / mean for w in weights]


class _Arrivals:
    """One job type's arrival clock (the model's points-and-buckets day cycle)."""

    def __init__(self, params: Params, rng: Draws) -> None:
        self.weights = bucket_weights(params)
        self.shape, self.scale = params.aarr * params.arar, params.barr
        self.rng = rng
        self.bucket, self.points, self.remainder, self.time = 0, 0.0, 0.0, 0.0
        self.advance()

    def _draw(self) -> float:
        while True:
            g = self.rng.gamma(self.shape, self.scale)
            if g <= MAX_LOG_ARRIVAL:
                return g

    def advance(self) -> None:
        self.points += math.exp(self._draw()) / BUCKET_S
        step, weights = 0.0, self.weights
        while self.points > weights[self.bucket]:
            self.points -= weights[self.bucket]
            self.bucket = (self.bucket + 1) % BUCKETS
            step += BUCKET_S
        remainder = self.points / weights[self.bucket]
        step += BUCKET_S * (remainder - self.remainder)
        self.remainder = remainder
        self.time += step


class LublinModel:
    """Draws (arrival_s, procs, runtime_s, type) tuples; seeded and reproducible."""

    def __init__(self, procs: int, *, kind: str = "mixed", seed: int = 0) -> None:
        if procs < 2:
            raise InputError(f"the model needs a system of >= 2 processors, got {procs}")
        if kind not in KINDS:
            raise InputError(f"model kind must be one of {', '.join(KINDS)}, got {kind!r}")
        self.procs, self.kind, self.seed = procs, kind, seed
        self.rng = Draws(np.random.default_rng(seed))
        shift = math.log2(procs) - PUBLISHED_UHI
        types = {"batch": [BATCH], "interactive": [INTERACTIVE], "mixed": [INTERACTIVE, BATCH],
                 "typeless": [INTERACTIVE]}[kind]
        base = {BATCH: BATCH_PARAMS, INTERACTIVE: INTERACTIVE_PARAMS}
        self.params = {t: scale_size(TYPELESS_PARAMS if kind == "typeless" else base[t], shift)
                       for t in types}
        self.arrivals = {t: _Arrivals(p, self.rng) for t, p in self.params.items()}

    def size(self, p: Params) -> int:
        u = self.rng.random()
        if u <= p.serial_prob:
            return 1
        low, high = (p.ulow, p.umed) if self.rng.random() <= p.uprob else (p.umed, p.uhi)
        par = low + self.rng.random() * (high - low)
        if u <= p.serial_prob + p.pow2_prob:
            par = float(int(par + 0.5))
        return max(1, min(self.procs, int(2.0 ** par + 0.5)))

    def runtime(self, p: Params, size: int) -> float:
        mix = min(1.0, max(0.0, p.pa * size + p.pb))
        while True:
            shape, scale = (p.a1, p.b1) if self.rng.random() <= mix else (p.a2, p.b2)
            g = self.rng.gamma(shape, scale)
            if g <= MAX_LOG_RUNTIME:
                return float(int(math.exp(g)))

    def __iter__(self) -> Iterator[tuple[float, int, float, int]]:
        arrivals = self.arrivals
        while True:
            kind = min(arrivals, key=lambda t: arrivals[t].time)
            clock = arrivals[kind]
            when = float(int(clock.time))
            clock.advance()
            p = self.params[kind]
            size = self.size(p)
            yield when, size, self.runtime(p, size), kind


def scale_size(p: Params, shift: float) -> Params:
    """Move the size distribution to another system size (log2 shift)."""
    from dataclasses import replace
    return replace(p, ulow=max(0.8, p.ulow + shift), umed=max(1.0, p.umed + shift),
                   uhi=p.uhi + shift)


class LublinSource(Source):
    """N jobs of the model as JobSpecs, with user estimates from ``estimates``."""

    name = "lublin"

    def __init__(self, jobs: int, procs: int, *, kind: str = "mixed", seed: int = 0,
                 estimates: EstimateModel | None = None, users: int = 32,
                 job_gpus: str | None = None, gpu_share: float | None = None) -> None:
        super().__init__()
        if jobs < 0:
            raise InputError(f"--jobs must be >= 0, got {jobs}")
        self.jobs, self.procs, self.kind, self.seed, self.users = jobs, procs, kind, seed, users
        self.max_procs = procs
        self.estimates = estimates or EstimateModel(seed=seed)
        self.gpus = GpuShare(job_gpus, gpu_share, seed=seed)   # SWF records carry none

    def records(self) -> Iterator[SwfRecord]:
        """The model as SWF records (status 1, queue = job type as in lublin99)."""
        model = LublinModel(self.procs, kind=self.kind, seed=self.seed)
        user_rng = Draws(np.random.default_rng(self.seed + 1))
        for i, (when, size, runtime, kind) in zip(range(self.jobs), model):
            user = int(user_rng.zipf(1.6)) % self.users + 1 if self.users else -1
            limit = self.estimates.estimate(runtime)
            yield SwfRecord(i + 1, when, -1, runtime, size, -1, -1, size, limit, -1, 1,
                            user, user, -1, kind, -1, -1, -1)

    def header(self) -> Header:
        header = Header()
        for key, value in (("Version", "2.2"),
                           ("Computer", f"Lublin-Feitelson 2003 model ({self.kind})"),
                           ("Acknowledge", "Uri Lublin and Dror Feitelson; generated by wlgen"),
                           ("MaxJobs", str(self.jobs)), ("MaxRecords", str(self.jobs)),
                           ("MaxNodes", str(self.procs)), ("MaxProcs", str(self.procs)),
                           ("Note", f"seed {self.seed}; estimates: {self.estimates.describe()}"),
                           ("Note", "queue field: 0 interactive, 1 batch")):
            header.entries.append((key, value))
        return header

    def __iter__(self) -> Iterator[JobSpec]:
        return self.gpus.mark(self._jobs())

    def _jobs(self) -> Iterator[JobSpec]:
        for seq, r in enumerate(self.records()):
            yield JobSpec(seq=seq, submit_s=r.submit, procs=r.req_procs, runtime_s=r.run,
                          time_limit_s=r.req_time, user=f"u{r.user}", group=f"g{r.group}",
                          source_id=r.job)

    def describe(self) -> dict[str, object]:
        return {"source": self.name, "jobs": self.jobs, "procs": self.procs, "kind": self.kind,
                "seed": self.seed, "estimates": self.estimates.describe(),
                **self.gpus.describe()}

"""User runtime estimates after Tsafrir, Etsion and Feitelson (JSSPP 2005).

Their finding: estimates are modal. A score of "round" values (5 min, 15 min, 1 h, 4 h,
the queue maximum...) cover ~90% of jobs, popularity falls roughly as a power of the
value's rank, the maximum is among the most used, and a job's estimate is always >= its
run time. This model draws each estimate from the round values >= the run time, weighted
by popularity, with probability ``max_prob`` the maximum. It is a documented
simplification (no per-user correlation), seeded and reproducible.
"""

from __future__ import annotations

import bisect

import numpy as np

from workload.sources.draws import Draws

MINUTE = 60.0
ROUND_VALUES_MIN = (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 360, 480, 600,
                    720, 960, 1080, 1440, 2160, 2880)


class EstimateModel:
    """Modal estimates: ``estimate(runtime) -> seconds``, never below ``runtime``."""

    def __init__(self, *, max_s: float = 2880 * MINUTE, max_prob: float = 0.15,
                 zipf: float = 1.0, seed: int = 0) -> None:
        self.max_s, self.max_prob, self.zipf = max_s, max_prob, zipf
        self.values = [v * MINUTE for v in ROUND_VALUES_MIN if v * MINUTE < max_s] + [max_s]
        # Popularity by rank of "roundness": hours and half-days more popular than odd minutes.
        popular = (60, 15, 240, 30, 720, 5, 120, 1440, 10, 480, 360, 180, 2880, 20, 45, 90,
                   600, 300, 960, 1080, 2, 1, 2160)
        rank = {v * MINUTE: i + 1 for i, v in enumerate(popular)}
        weights = np.array([rank.get(v, len(popular)) ** -zipf for v in self.values])
        # tail[i]: cumulative popularity of values[i:], to draw among values >= runtime.
        self.cumulative = np.cumsum(weights[::-1])[::-1].tolist()
        self.weights = weights.tolist()
        self.rng = Draws(np.random.default_rng(seed + 7))

    def estimate(self, runtime: float) -> float:
        if runtime >= self.max_s or self.rng.random() < self.max_prob:
            return max(self.max_s, runtime)
        first = bisect.bisect_left(self.values, runtime)
        target = self.rng.random() * self.cumulative[first]
        for i in range(first, len(self.values)):     # walk the few values >= runtime
            target -= self.weights[i]
            if target < 0:
                return self.values[i]
        return self.values[-1]

    def describe(self) -> str:
        return f"tsafrir05-modal(max={self.max_s:g}s, p_max={self.max_prob}, zipf={self.zipf})"

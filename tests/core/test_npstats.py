"""metrics.json's mean and percentiles without numpy: numpy's own results, bit for bit.

numpy is the oracle: the pure-Python twins must return the very same floats, for the
shapes a run's waits take (many zeros, whole seconds, long tails) and every size class
of numpy's pairwise summation (under 8, one block of up to 128, recursive halves).
"""

from __future__ import annotations

import random
from array import array

import numpy as np
import pytest

from workload.run import npstats

SIZES = (1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 1000, 4099, 28_490)


def _waits(rng: random.Random, n: int) -> array:
    draw = (lambda: 0.0, lambda: float(rng.randint(0, 10**6)), lambda: rng.random() * 1e5,
            lambda: rng.expovariate(1e-3))
    return array("d", (rng.choice(draw)() for _ in range(n)))


@pytest.mark.parametrize("n", SIZES)
def test_mean_and_percentiles_are_numpys_bits(n):
    rng = random.Random(n)
    for _ in range(5):
        values = _waits(rng, n)
        data = np.frombuffer(values, dtype=np.float64)
        assert npstats.mean(values) == float(np.mean(data))
        got = npstats.percentiles(values, (50, 95, 99))
        assert got == [float(np.percentile(data, q)) for q in (50, 95, 99)]


def test_long_runs_use_numpy_with_the_same_result(monkeypatch):
    values = _waits(random.Random(7), 3000)
    short = (npstats.mean(values), npstats.percentiles(values, (50, 95)))
    monkeypatch.setattr(npstats, "NUMPY_FROM", 1)
    assert (npstats.mean(values), npstats.percentiles(values, (50, 95))) == short


def test_no_values_no_percentiles():
    assert npstats.percentiles(array("d"), (50, 95)) == [None, None]

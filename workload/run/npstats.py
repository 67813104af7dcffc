"""Mean and percentiles with numpy's exact results, without importing numpy for short runs.

metrics.json's figures came from ``np.mean`` and ``np.percentile`` (linear method); the
same bits must come out (a run's metrics are compared across versions and backends).
numpy costs about 0.1 s to import, an eighth of a trace replay's whole budget, while a
few tens of thousands of values are summed in Python in milliseconds. So short runs use
the pure-Python twins below, which repeat numpy's floating-point operations in its
order (pairwise summation in blocks of 8 up to 128, then halves at multiples of 8;
linear interpolation as ``numpy.lib._function_base_impl._lerp``), and long runs, where
numpy's speed pays for its import, use numpy itself.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence

#: From this many values on, numpy is imported and used (same results, less time).
NUMPY_FROM = 200_000
_BLOCK = 128   # numpy's PW_BLOCKSIZE


def _pairwise(values: Sequence[float], lo: int, n: int) -> float:
    """numpy's pairwise_sum (loops.c.src) of ``values[lo:lo+n]``, operation for operation."""
    if n < 8:
        total = -0.0
        for i in range(lo, lo + n):
            total += values[i]
        return total
    if n <= _BLOCK:
        r = list(values[lo:lo + 8])
        end = n - n % 8
        for i in range(lo + 8, lo + end, 8):
            r[0] += values[i]
            r[1] += values[i + 1]
            r[2] += values[i + 2]
            r[3] += values[i + 3]
            r[4] += values[i + 4]
            r[5] += values[i + 5]
            r[6] += values[i + 6]
            r[7] += values[i + 7]
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for i in range(lo + end, lo + n):
            total += values[i]
        return total
    half = n // 2
    half -= half % 8
    return _pairwise(values, lo, half) + _pairwise(values, lo + half, n - half)


def mean(values: array) -> float:
    """``float(np.mean(values))`` of a non-empty array('d')."""
    if len(values) >= NUMPY_FROM:
        import numpy as np
        return float(np.mean(np.frombuffer(values, dtype=np.float64)))
    return _pairwise(values, 0, len(values)) / len(values)


def percentiles(values: array, qs: Sequence[float]) -> list[float | None]:
    """``float(np.percentile(values, q))`` for each q (None for no values)."""
    if not values:
        return [None] * len(qs)
    if len(values) >= NUMPY_FROM:
        import numpy as np
        data = np.frombuffer(values, dtype=np.float64)
        return [float(np.percentile(data, q)) for q in qs]
    ordered = sorted(values)
    return [_linear(ordered, q) for q in qs]


def _linear(ordered: list[float], q: float) -> float:
    """numpy's 'linear' method on sorted values: index (n-1)*q/100, then _lerp."""
    last = len(ordered) - 1
    index = last * (q / 100)
    below = math.floor(index)
    if below >= last:
        return ordered[last]
    gamma = index - below
    a, b = ordered[below], ordered[below + 1]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma

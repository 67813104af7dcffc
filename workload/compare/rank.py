"""Rank correlations with numpy only (scipy is not a dependency for two formulas).

Spearman's rho is Pearson's r on average ranks. Kendall's tau-b compares every pair;
that is O(n^2), done in blocks, and on more than ``KENDALL_MAX`` jobs on an evenly
spaced sample of them (the result says how many it used).
"""

from __future__ import annotations

import math

import numpy as np

KENDALL_MAX = 6000
BLOCK = 512


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks; ties share the mean of the ranks they span."""
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values), dtype=float)
    sorted_values = values[order]
    # Boundaries of runs of equal values.
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    for lo, hi in zip(starts, ends):
        ranks[order[lo:hi]] = (lo + hi + 1) / 2.0
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    """None when undefined (fewer than 2 values, or one side constant)."""
    if len(x) < 2:
        return None
    rx, ry = average_ranks(np.asarray(x, float)), average_ranks(np.asarray(y, float))
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def kendall_tau_b(x: np.ndarray, y: np.ndarray) -> tuple[float | None, int]:
    """(tau-b, how many values it used)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) > KENDALL_MAX:
        pick = np.linspace(0, len(x) - 1, KENDALL_MAX).round().astype(int)
        x, y = x[pick], y[pick]
    n = len(x)
    if n < 2:
        return None, n
    both = not_x = not_y = 0.0
    for lo in range(0, n, BLOCK):
        sx = np.sign(x[lo:lo + BLOCK, None] - x[None, :])
        sy = np.sign(y[lo:lo + BLOCK, None] - y[None, :])
        both += float((sx * sy).sum())
        not_x += float(np.count_nonzero(sx))
        not_y += float(np.count_nonzero(sy))
    if not not_x or not not_y:
        return None, n
    return both / math.sqrt(not_x * not_y), n

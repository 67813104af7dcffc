"""Backfill's picture of the future: free CPUs per node group over time.

Nodes with the same partitions form a group ("cell"); the profile holds each cell's
free CPUs between breakpoints: now, the ends of running jobs (start + time limit, to
the second, as the select plugin's will-run test sees them) and the bounds of
reservations (rounded down to bf_resolution, as backfill.c's node_space table keeps
them). A job of partition P fits at t
when the cells of P have enough free CPUs for its whole time limit. A job planned for
later holds whole nodes, as Slurm's backfill reservations do (node bitmaps).
"""

from __future__ import annotations

import math
from bisect import bisect_left


class Profile:
    def __init__(self, now: float, free: list[int], ends: list[tuple[float, int, int]]) -> None:
        """``free`` per cell now; ``ends``: (time, cell, cpus) released by running jobs."""
        times = sorted({t for t, _, _ in ends if t > now})
        self.times = [now] + times
        index = {t: i + 1 for i, t in enumerate(times)}
        deltas = [[0] * len(self.times) for _ in free]
        for t, cell, cpus in ends:
            if t > now:
                deltas[cell][index[t]] += cpus
        self.free = []
        for cell, start in enumerate(free):
            run, row = start, []
            for d in deltas[cell]:
                run += d
                row.append(run)
            self.free.append(row)

    def earliest(self, cells: tuple[int, ...], need: int, length: float,
                 latest: float) -> float | None:
        """The first breakpoint t <= latest with ``need`` CPUs free over [t, t+length)."""
        times, n = self.times, len(self.times)
        if len(cells) == 1:
            avail = self.free[cells[0]]
        else:
            avail = [sum(col) for col in zip(*(self.free[c] for c in cells))]
        i = 0
        while i < n:
            start = times[i]
            if start > latest:
                return None
            end = start + length
            j = i
            while j < n and times[j] < end:
                if avail[j] < need:
                    break
                j += 1
            else:
                return start
            i = j + 1
        return None

    def _point(self, t: float) -> int:
        times = self.times
        i = bisect_left(times, t)
        if i < len(times) and times[i] == t:
            return i
        times.insert(i, t)
        for row in self.free:
            row.insert(i, row[i - 1])
        return i

    def reserve(self, cells: tuple[int, ...], amount: int, start: float, end: float) -> None:
        """Take ``amount`` CPUs from ``cells`` over [start, end)."""
        if amount <= 0 or not math.isfinite(end):
            end = math.inf if amount > 0 else end
        i = self._point(start)
        k = self._point(end) if math.isfinite(end) else len(self.times)
        for cell in cells:
            if amount <= 0:
                return
            row = self.free[cell]
            take = min(amount, min(row[i:k]))
            if take > 0:
                for x in range(i, k):
                    row[x] -= take
                amount -= take


def round_up(t: float, step: float) -> float:
    """``t`` up to the grid of ``step`` (infinite stays infinite)."""
    return math.ceil(t / step - 1e-9) * step if math.isfinite(t) else t


def round_down(t: float, step: float) -> float:
    """``t`` down to the grid of ``step`` (infinite stays infinite)."""
    return math.floor(t / step + 1e-9) * step if math.isfinite(t) else t

"""What the report plots, computed from an observed schedule: pure functions.

Times are seconds from the run's epoch (its first instant), so runs overlay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from operator import itemgetter

import numpy as np

from workload.checks.attempts import attempts
from workload.checks.observed import Observed
from workload.event import END, REQUEUED, START, STATE, SUBMIT

Series = tuple[np.ndarray, np.ndarray]   # x, y of a step function (value from x[i] on)


def epoch_of(obs: Observed) -> float:
    """The run's time zero: its epoch in settings.json, else its first event."""
    from workload.rundir import SETTINGS, read_json

    if obs.run_dir is not None and (obs.run_dir / SETTINGS).exists():
        epoch = read_json(obs.run_dir / SETTINGS).get("epoch")
        if epoch is not None:
            return float(epoch)
    return min((e.time for e in obs.events), default=0.0)


def _steps(points: list[tuple[float, float]], t0: float) -> Series:
    """Cumulative sum of (time, change) points as a step function, one value per time."""
    if not points:
        return np.array([0.0]), np.array([0.0])
    points.sort()
    times = np.array([p[0] for p in points]) - t0
    values = np.cumsum([p[1] for p in points])
    last = np.r_[times[1:] != times[:-1], True]     # keep the last change of each instant
    return times[last], values[last]


def utilisation(obs: Observed, t0: float) -> Series:
    """Fraction of the cluster's CPUs busy over time."""
    total = obs.cluster.total_cpus or 1
    points = []
    for a in attempts(obs.events):
        points.append((a.start, a.procs / total))
        if a.stop != float("inf"):
            points.append((a.stop, -a.procs / total))
    return _steps(points, t0)


def gpu_use(obs: Observed, t0: float) -> Series:
    """Fraction of the cluster's GPUs held over time: the GPUs start events name, else the
    job's request (backends that know only counts)."""
    total = obs.cluster.total_gpus or 1
    points = []
    for a in attempts(obs.events):
        spec = obs.requests.get(a.seq)
        held = len(a.gpus) or (spec.gpus if spec is not None else 0)
        if not held:
            continue
        points.append((a.start, held / total))
        if a.stop != float("inf"):
            points.append((a.stop, -held / total))
    return _steps(points, t0)


def queue_length(obs: Observed, t0: float) -> Series:
    """Jobs submitted and waiting (not running, not ended) over time."""
    points: list[tuple[float, float]] = []
    running: set[int] = set()
    for e in obs.events:
        if e.kind == SUBMIT:
            points.append((e.time, 1))
        elif e.kind == START:
            points.append((e.time, -1))
            running.add(e.seq)
        elif e.kind == STATE and e.state == REQUEUED:
            points.append((e.time, 1))
            running.discard(e.seq)
        elif e.kind == END and e.seq not in running:
            points.append((e.time, -1))         # ended without running (cancel, reject)
        elif e.kind == END:
            running.discard(e.seq)
    return _steps(points, t0)


def wait_cdf(obs: Observed) -> Series:
    waits = np.sort([j.wait for j in obs.jobs if j.wait is not None])
    if not len(waits):
        return np.array([0.0]), np.array([0.0])
    return waits, np.arange(1, len(waits) + 1) / len(waits)


def user_shares(obs: Observed) -> dict[str, float]:
    """Each user's fraction of the CPU-seconds the run delivered."""
    used: defaultdict[str, float] = defaultdict(float)   # CPU-seconds: a Counter holds ints
    for job in obs.jobs:
        used[job.user] += job.run * job.procs
    total = sum(used.values()) or 1.0
    return {user: cpu_s / total for user, cpu_s in _largest_first(used)}


def thin(x: np.ndarray, y: np.ndarray, most: int = 600) -> Series:
    """At most ``most`` points of a step function, keeping the extremes of each bucket
    so that peaks survive (a plot, not a measurement)."""
    if len(x) <= most:
        return x, y
    edges = np.linspace(0, len(x), most // 2 + 1).astype(int)
    keep: list[int] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi > lo:
            chunk = y[lo:hi]
            keep += sorted({lo + int(np.argmin(chunk)), lo + int(np.argmax(chunk))})
    idx = np.array(sorted(set(keep) | {0, len(x) - 1}))
    return x[idx], y[idx]


def top_users(shares: Sequence[dict[str, float]], most: int = 8) -> list[str]:
    """The users with the largest share in any run; the rest are shown as 'other'."""
    best: defaultdict[str, float] = defaultdict(float)
    for run in shares:
        for user, share in run.items():
            best[user] = max(best[user], share)
    return [u for u, _ in _largest_first(best)[:most]]


def _largest_first(values: dict[str, float]) -> list[tuple[str, float]]:
    """As ``Counter.most_common``: largest first, ties in insertion order."""
    return sorted(values.items(), key=itemgetter(1), reverse=True)

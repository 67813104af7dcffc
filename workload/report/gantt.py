"""The Gantt chart: nodes x time for small runs, sampled job rows for big ones.

Node view: each node is a row; jobs on a node are packed into lanes (greedy interval
colouring), so overlapping jobs never hide each other; colour is by user. Big runs
(more than ``NODE_VIEW_MAX_*``) get one row per job for an evenly spaced sample of at
most ``JOB_ROWS`` jobs (the title says how many of how many).
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from workload.checks.attempts import Attempt, attempts
from workload.checks.observed import Observed
from workload.report.charts import time_unit
from workload.report.svg import Frame, color

NODE_VIEW_MAX_NODES, NODE_VIEW_MAX_JOBS, JOB_ROWS = 64, 4000, 200


def gantt(obs: Observed, t0: float, title: str) -> str:
    runs = [a for a in attempts(obs.events) if a.stop != float("inf")]
    user_of = {j.seq: j.user for j in obs.jobs}
    users = {u: i for i, u in enumerate(dict.fromkeys(user_of.get(a.seq, "?") for a in runs))}
    colour = {a.seq: color(users[user_of.get(a.seq, "?")]) for a in runs}
    span = max((a.stop - t0 for a in runs), default=1.0) or 1.0
    unit, name = time_unit(span)
    if len(obs.cluster.nodes) <= NODE_VIEW_MAX_NODES and len(runs) <= NODE_VIEW_MAX_JOBS:
        frame = _by_node(obs, runs, colour, t0, unit, name, span, title)
    else:
        frame = _by_job(runs, colour, t0, unit, name, span, title)
    for user, i in list(users.items())[:8]:
        frame.legend.append((f"user {user}", color(i)))
    return frame.render(y_ticks=frame.y_ticks)


def lanes(intervals: list[tuple[float, float, int]]) -> dict[int, int]:
    """Index -> lane, fewest lanes such that overlapping intervals get different lanes."""
    free: list[int] = []
    busy: list[tuple[float, int]] = []     # (stop, lane)
    out, count = {}, 0
    for start, stop, i in sorted(intervals):
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        lane = heapq.heappop(free) if free else count
        count = max(count, lane + 1)
        out[i] = lane
        heapq.heappush(busy, (stop, lane))
    return out


def _by_node(obs: Observed, runs: list[Attempt], colour: dict[int, str], t0: float,
             unit: float, name: str, span: float, title: str) -> Frame:
    nodes = [n.name for n in obs.cluster.nodes]
    row = {n: i for i, n in enumerate(nodes)}
    frame = Frame(f"{title}: nodes x time ({len(runs)} jobs)", (0.0, span / unit),
                  (0.0, float(len(nodes))), f"time since start ({name})", "node",
                  height=int(80 + len(nodes) * max(10.0, min(40.0, 480 / len(nodes)))))
    per_node: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    for i, a in enumerate(runs):
        for node in a.nodes:
            per_node[node].append((a.start, a.stop, i))
    for node, intervals in per_node.items():
        if node not in row:
            continue
        lane_of = lanes(intervals)
        height = 0.9 / (max(lane_of.values()) + 1)
        base = len(nodes) - row[node] - 0.95
        for start, stop, i in intervals:
            a = runs[i]
            y0 = base + lane_of[i] * height
            frame.rect((start - t0) / unit, (stop - t0) / unit, y0, y0 + height, cls="job",
                       fill=colour[a.seq],
                       tip=f"job {a.job_id} (seq {a.seq}) on {node}: {a.procs} tasks, "
                           f"{start - t0:.0f}-{stop - t0:.0f} s")
    step = max(1, len(nodes) // 16)
    frame.y_ticks = [(len(nodes) - i - 0.5, n) for i, n in enumerate(nodes) if i % step == 0]
    return frame


def _by_job(runs: list[Attempt], colour: dict[int, str], t0: float, unit: float, name: str,
            span: float, title: str) -> Frame:
    runs = sorted(runs, key=lambda a: (a.start, a.seq))
    pick = runs if len(runs) <= JOB_ROWS else [
        runs[round(i * (len(runs) - 1) / (JOB_ROWS - 1))] for i in range(JOB_ROWS)]
    frame = Frame(f"{title}: sampled jobs x time ({len(pick)} of {len(runs)} jobs)",
                  (0.0, span / unit), (0.0, float(len(pick))), f"time since start ({name})",
                  "job (by start)", height=520)
    for i, a in enumerate(pick):
        y0 = len(pick) - i - 0.9
        frame.rect((a.start - t0) / unit, (a.stop - t0) / unit, y0, y0 + 0.8, cls="job",
                   fill=colour[a.seq], tip=f"job {a.job_id} (seq {a.seq}): {a.procs} tasks")
    frame.y_ticks = [(len(pick) - i - 0.5, f"seq {a.seq}") for i, a in enumerate(pick)
                     if i % 25 == 0]
    return frame

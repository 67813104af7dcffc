"""The two scheduling passes over the engine's queue: Slurm's main loop and backfill."""

from __future__ import annotations

import math
from math import ceil, floor, isfinite

from workload.backends.sim.slurm.plan import Profile
from workload.event import PENDING


def main(engine, depth: int) -> None:
    """schedule(): start jobs in order; once a job is left pending for resources, no
    lower job starts in its partition or on its partition's nodes this pass ("do not
    schedule more jobs in this partition or on nodes in this partition"). ``depth`` 0
    tests the whole queue."""
    now = engine.env.now
    if not engine.pending:
        return
    engine._refresh(now)
    nodes, tested = engine.nodes, 0
    failed: set[str] = set()
    blocked: set[int] = set()
    fresh = engine.take_fresh()
    for job in engine.order():
        if job.state != PENDING:
            continue
        if job.eligible > now:
            job.reason = "BeginTime"
            continue
        if not nodes.free_total:      # nothing more can start
            if job.part.name not in failed:
                job.reason = "Resources"
                failed.add(job.part.name)
            _fresh_reasons(fresh, failed)
            return
        tested += 1
        if depth and tested > depth:
            _fresh_reasons(fresh, failed)
            return
        if job.part.name in failed:
            job.reason = "Priority"
            continue
        if job.comps and engine.s.backfill:
            # heterogeneous_jobs.shtml: "only scheduled by the backfill scheduler"; the
            # main loop "lacks logic for concurrently scheduling all components". (With
            # sched/builtin it starts them here: sim/backend.py HET_BUILTIN says so.)
            continue
        why = engine.limits(job)
        if why:
            job.reason = why
            continue
        alloc = nodes.find(job, blocked)
        if alloc is None:
            job.reason = "Resources"
            failed.add(job.part.name)
            blocked.update(job.part.nodes)
            if len(failed) == sum(1 for n in engine.waiting_in.values() if n):
                _fresh_reasons(fresh, failed)
                return      # every partition with jobs waits: the rest stay Priority
            continue
        engine.start(job, alloc)


def _fresh_reasons(fresh: list, waiting_parts: set[str]) -> None:
    """A pass that stops early leaves new jobs untested: they wait behind a higher job
    (Priority) in a partition that is waiting, else for Resources."""
    for job in fresh:
        if job.state == PENDING and job.reason == "None":
            job.reason = "Priority" if job.part.name in waiting_parts else "Resources"


def backfill(engine) -> None:
    """backfill.c: plan every pending job in order on the profile; start those whose
    earliest start is now, reserve (whole nodes) for those that start later."""
    now, s, nodes = engine.env.now, engine.s, engine.nodes
    if not engine.pending or not nodes.free_total:
        return
    engine._refresh(now)
    queue = engine.order()
    smallest = _smallest_after(queue)
    if not queue or nodes.free_total < smallest[0]:
        return          # no pending job fits in what is free now
    res = s.bf_resolution_s
    ends = [end for j in engine.running.values() for end in j.planned]
    profile = Profile(now, list(nodes.cell_free), ends)
    latest = now + s.bf_window_s
    tested = 0
    per_user: dict[str, int] = {}
    for index, job in enumerate(queue):
        if nodes.free_total < smallest[index]:
            return      # no job from here on fits now: planning them starts nothing
        if job.state != PENDING or job.eligible > now:
            continue
        if tested >= s.bf_max_job_test:
            return
        if s.bf_max_job_user:
            seen = per_user.get(job.user, 0)
            if seen >= s.bf_max_job_user:
                continue
            per_user[job.user] = seen + 1
        tested += 1
        why = engine.limits(job)
        if why:
            job.reason = why
            continue
        start = profile.earliest(job.part.cells, job.procs, job.limit, latest)
        if start is None:
            job.reason = "Resources"
            continue
        if start == now:
            alloc = nodes.find(job)
            if alloc is not None:
                engine.start(job, alloc)
                for node, cores in alloc:
                    profile.reserve((nodes.cell_of[node],), cores, now, now + job.limit)
                if not nodes.free_total:
                    return
                continue
        part = job.part
        job.reason = "Priority" if part.free >= job.procs else "Resources"
        # backfill.c rounds a reservation's start and end DOWN to bf_resolution
        # (the table starts at now rounded down too, so nothing before now).
        # plan.round_down() inline: half a million calls a KTH-class run.
        begin = max(now, floor(start / res + 1e-9) * res if isfinite(start) else start)
        end = start + job.limit
        if isfinite(end):
            end = floor(end / res + 1e-9) * res
        if end > begin:
            # the whole nodes the job would use (a reservation holds node bitmaps)
            per = part.per_node
            count = job.nodes or ceil(job.procs / per)
            profile.reserve(part.cells, min(count * per, part.total), begin, end)


def _smallest_after(queue: list) -> list[float]:
    """For each position, the fewest CPUs any pending job from there on asks for."""
    out: list[float] = [0] * len(queue)
    low = math.inf
    for i in range(len(queue) - 1, -1, -1):
        job = queue[i]
        if job.state == PENDING and job.procs < low:
            low = job.procs
        out[i] = low
    return out


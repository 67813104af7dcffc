"""One check of a run's schedule.swf against the run's own record, for every kind of run
(simulated in tests/core/test_swfout.py, real Slurm in tests/slurm/test_schedule_swf.py)."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from workload.rundir import read_events
from workload.run.schedule import build_schedule
from workload.run.swfheader import END_STATES, TIME_GRID, date_text, parse_end_states
from workload.swf import SwfReader


def implied_overcommit(records, max_procs: int) -> list[tuple[float, int]]:
    """Instants where the file's own submit + wait (+ run) keep more CPUs busy than exist.

    Computed the way readers do (float sums); a job ending at t frees its CPUs at t.
    """
    changes = []
    for r in records:
        if r.wait >= 0 and r.run >= 0 and r.alloc_procs > 0:
            start = r.submit + r.wait
            changes += [(start, r.alloc_procs), (start + r.run, -r.alloc_procs)]
    changes.sort()          # at equal times the negative change (an end) comes first
    busy, over = 0, []
    for when, change in changes:
        busy += change
        if busy > max_procs:
            over.append((when, busy))
    return over


def assert_schedule_true_to_events(run_dir: Path) -> None:
    """schedule.swf read strictly: 18 fields, numbers in order, header counts = records,
    no implied over-commit, times within 1 ms of the events, end states = accounting."""
    path = run_dir / "schedule.swf"
    lines = [x for x in path.read_text().splitlines() if x.strip() and not x.startswith(";")]
    assert lines and all(len(line.split()) == 18 for line in lines)
    reader = SwfReader(path, strict=True)
    header, records = reader.header, list(reader)
    ids = [r.job for r in records]
    assert ids == sorted(set(ids)) and ids[0] >= 1
    assert header.get_int("MaxJobs") == header.get_int("MaxRecords") == len(records)
    settings = json.loads((run_dir / "settings.json").read_text())
    assert header.get_int("MaxProcs") == settings["cluster"]["total_cpus"]
    assert implied_overcommit(records, header.get_int("MaxProcs")) == []
    start = math.floor(settings["epoch"])
    assert header.get_int("UnixStartTime") == start
    jobs = {j.seq + 1: j for j in build_schedule(read_events(run_dir / "events.jsonl"))}
    assert set(jobs) == set(ids)
    for r in records:
        job = jobs[r.job]
        assert r.submit == pytest.approx(job.submit - start, abs=1e-3)
        if job.start is None:
            assert (r.wait, r.run) == (-1, -1)
        else:
            assert r.wait == pytest.approx(job.wait, abs=1e-3)
            assert r.run == pytest.approx(job.run, abs=1e-3)
        for value in (r.submit, r.wait, r.run):
            assert float(value * TIME_GRID).is_integer()   # on the grid: float sums exact
    by_state = json.loads((run_dir / "accounting.json").read_text())["by_state"]
    assert parse_end_states(header.get(END_STATES)) == Counter(
        {s: n for s, n in by_state.items() if n})
    last_end = max(r.submit + max(r.wait, 0) + max(r.run, 0) for r in records)
    assert header.get("EndTime") == date_text(start + last_end, header.get("TimeZoneString"))

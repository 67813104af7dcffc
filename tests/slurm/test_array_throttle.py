"""A source array's throttle on real Slurm (issue 16): the stored 24.11 dump's
``arr`` (``--array=0-5%3``, six 2-second tasks) is submitted as such, through sbatch
(sacct's SubmitLine of the replayed array says ``%3``) and through slurmrestd, and at
most 3 of its tasks ran at once (sacct's Start and End), on a cluster with CPUs for all
6 at once (2 nodes x 4 CPUs, nothing else)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from workload.cluster import ClusterSpec, wait_for

from tests.clusters import per_run_name, session_cluster
from tests.sources.conftest import dump
from workload.testing.require import require

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]


def most_at_once(spans: list[tuple[datetime, datetime]]) -> int:
    """The most spans [start, end) covering one instant."""
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans],
                   key=lambda x: (x[0], x[1]))      # an end before a start at one second
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_most_at_once_counts_overlaps() -> None:
    t = [datetime(2026, 1, 1, 0, 0, s) for s in range(6)]
    assert most_at_once([(t[0], t[2]), (t[1], t[3]), (t[2], t[4])]) == 2   # [0,2) ends at 2
    assert most_at_once([(t[0], t[5])] * 4) == 4


def test_a_throttled_array_never_runs_more_than_its_throttle(wlgen, tmp_path):
    require("cluster")
    jobs = tmp_path / "arr.jsonl"
    assert wlgen("convert", str(dump("24.11", "sacct-P-allocations.txt")), "-o",
                 str(jobs)).exit_code == 0
    lines = jobs.read_text().splitlines(keepends=True)
    arr = [x for x in lines[1:] if json.loads(x)["name"] == "arr"]
    assert len(arr) == 6 and all(json.loads(x)["array_throttle"] == 3 for x in arr)
    jobs.write_text(lines[0] + "".join(arr))
    spec = ClusterSpec(name=per_run_name("wlgen-throttle"), nodes=2, cpus=4, mem_mb=2048,
                       suite="trixie")
    with session_cluster(spec, []) as cluster:
        for client in ("cli", "rest"):
            rows = replay_array(wlgen, cluster, jobs, tmp_path / client, client)
            assert {r[0].split("_")[0] for r in rows} == {rows[0][0].split("_")[0]}
            if client == "cli":    # slurmrestd's jobs have no submit line
                assert "--array=0-5%3" in rows[0][3], rows[0][3]
            spans = [(datetime.fromisoformat(r[1]), datetime.fromisoformat(r[2]))
                     for r in rows]
            # Never more than the throttle; more than one at once, so not serialised.
            # (Exactly 3 is what a quiet host shows, but a loaded controller may start
            # the third task a pass after the first two ended.)
            assert 2 <= most_at_once(spans) <= 3, (client, rows)


def replay_array(wlgen, cluster, jobs, out, client: str) -> list[list[str]]:
    """Replay ``jobs`` through ``client``; sacct's JobID, Start, End, SubmitLine of the
    replayed array's tasks once all have ended."""
    result = wlgen("replay", str(jobs), "--backend", "slurm", "--cluster", cluster.name,
                   "--slurm-client", client, "--nodes", "2", "--cpus", "4",
                   "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert (metrics["submitted"], metrics["completed"]) == (6, 6), metrics
    ids = {json.loads(x)["job_id"].split("_")[0]
           for x in (out / "events.jsonl").read_text().splitlines()}
    assert len(ids) == 1, ids                                   # one array job

    def tasks() -> list[list[str]] | None:   # accounting lags the queue
        text = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-j", next(iter(ids)),
                              "-o", "JobID,Start,End,SubmitLine"])
        rows = [x.split("|", 3) for x in text.splitlines()]
        return rows if len(rows) == 6 and all(r[2] != "Unknown" for r in rows) else None
    return wait_for(tasks, 60, "sacct to hold the 6 tasks ended")

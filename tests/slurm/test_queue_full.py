"""A storm into a full queue: slurmctld refuses jobs (MaxJobCount), wlgen waits and retries.

A cluster of its own with room for 6 jobs in slurmctld (finished ones purged after 2 s):
a storm of 30 jobs meets "temporarily unable to accept job" over and over, and still
every job is submitted once, runs, and is accounted for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workload.testing.require import require
from tests.clusters import per_run_name, session_cluster
from workload.cluster import Cluster, ClusterSpec, wait_for

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root, pytest.mark.slow]

MAX_JOBS = 6
LIMIT_CONF = f"MaxJobCount={MAX_JOBS}\nMinJobAge=2\n"   # the later line wins in slurm.conf


@pytest.fixture(scope="module")
def full_cluster() -> Iterator[Cluster]:
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-qfull"), nodes=1, cpus=2, mem_mb=1024,
                       conf_extra=LIMIT_CONF)
    with session_cluster(spec, []) as cluster:
        yield cluster


def test_a_storm_into_a_full_queue_waits_and_loses_nothing(full_cluster: Cluster,
                                                           tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "workload.cli.main", "storm", "--jobs", "30", "--rate", "30",
         "--runtime", "1", "--backend", "slurm", "--cluster", full_cluster.name,
         "--out", str(run_dir), "--json"],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = json.loads(done.stdout)
    assert metrics["submitted"] == metrics["completed"] == 30, metrics
    assert metrics["rejected"] == 0 and metrics["unaccounted"] == 0
    # slurmctld did refuse jobs for a full queue ...
    assert "MaxJobCount limit from slurm.conf reached" in full_cluster.logs("ctld", tail=5000)
    # ... and each job still exists exactly once in accounting: one row per job of the
    # run's events (late jobs of one shape go as one array, whose tasks share the first
    # one's name: so by Slurm job id, 123 or 123_4, not by name). The run ends on
    # squeue's word; accounting catches up a few seconds later.
    run_id = json.loads((run_dir / "settings.json").read_text())["run_id"]
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    ended = sorted(e["job_id"] for e in events if e["kind"] == "end")
    assert len(set(ended)) == 30, ended
    ours = wait_for(lambda: accounted_ids(full_cluster, f"wlgen.{run_id}.", at_least=30),
                    30, "the run in accounting")
    assert sorted(ours) == ended


def accounted_ids(cluster: Cluster, prefix: str, at_least: int) -> list[str] | None:
    """Job ids (array tasks as 123_4) of the accounting rows whose job name starts with
    ``prefix``; None while fewer than ``at_least`` are there."""
    out = cluster.slurm(["sacct", "-a", "-X", "--noheader", "--parsable2",
                         "--format=JobID,JobName", "--starttime=now-1hour"])
    ours = [job for job, _, name in (line.partition("|") for line in out.split())
            if name.startswith(prefix)]
    return ours if len(ours) >= at_least else None

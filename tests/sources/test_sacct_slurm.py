"""A stored sacct dump replayed on a real 24.11 container cluster: accounts, shares and
QOS created first, every row accounted for, jobs keep their account and QOS, and the
failed, timed-out and cancelled-while-running jobs end as they did."""

from __future__ import annotations

import json

import pytest

from workload.cluster import ClusterSpec, wait_for

from tests.clusters import per_run_name, session_cluster
from workload.testing.require import require
from tests.sources.conftest import dump

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]


def test_replay_on_slurm_creates_accounts_and_keeps_end_states(wlgen, tmp_path):
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-sacct"), nodes=2, cpus=4, mem_mb=2048,
                       suite="trixie")
    release = "24.11"
    with session_cluster(spec, []) as cluster:
        result = wlgen("replay", str(dump(release, "sacct-P-allocations.txt")),
                       "--backend", "slurm", "--cluster", cluster.name, "--nodes", "2",
                       "--cpus", "4", "--accounts", str(dump(release, "sacctmgr-assoc.txt")),
                       "--qos", str(dump(release, "sacctmgr-qos.txt")),
                       "--out", str(tmp_path / "r"), "--json")
        assert result.exit_code == 0, result.output
        metrics = json.loads(result.stdout)
        rows = dump(release, "sacct-P-allocations.txt").read_text().count("\n") - 1
        assert metrics["submitted"] + metrics["skipped"] == rows
        assert metrics["unaccounted"] == 0
        assert (metrics["failed"], metrics["timeout"]) == (1, 1)
        # Dependencies are not sent to real Slurm yet: those jobs are refused, and say so.
        assert metrics["rejected"] == 5
        accounting = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-S", "2000-01-01",
                                    "-o", "User,Account,QOS,State,ExitCode"])
        rows_seen = {tuple(line.split("|")) for line in accounting.splitlines()}
        assert ("alice", "physics", "high", "COMPLETED", "0:0") in rows_seen
        assert ("bob", "wlgen", "normal", "FAILED", "3:0") in rows_seen
        # alice's "cancel-running" (CANCELLED after 4 s in the dump) is cancelled at the
        # same point of its run: the watcher's scancel, due 4 s after Slurm's start.
        assert metrics["cancelled"] == 1
        def cancelled_rows() -> list[list[str]]:   # accounting lags the queue
            out = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-S", "2000-01-01",
                                 "-o", "User,ElapsedRaw,State"])
            return [row for row in (line.split("|") for line in out.splitlines())
                    if row[2].startswith("CANCELLED")]
        cancelled = wait_for(cancelled_rows, 60, "sacct to hold the cancelled job")
        assert len(cancelled) == 1 and cancelled[0][0] == "alice", cancelled
        assert 4 <= int(cancelled[0][1]) <= 15, cancelled   # whole seconds, a poll's delay
        shares = cluster.slurm(["sacctmgr", "-P", "-n", "show", "assoc",
                                "format=Account,User,Share"])
        assert "physics||30" in shares.splitlines() and "wlgen||10" in shares.splitlines()

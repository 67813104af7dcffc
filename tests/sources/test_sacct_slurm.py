"""A stored sacct dump replayed on a real 24.11 container cluster: accounts, shares and
QOS created first, every row accounted for, jobs keep their account and QOS, the
failed, timed-out and cancelled-while-running jobs end as they did, and the jobs with
dependencies (afterok, afterany, afternotok, singleton) start after their parents end,
the heterogeneous job runs as one job of its two components; the account tree of a
nested --accounts dump is created as it is."""

from __future__ import annotations

import json
from pathlib import Path

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
                       "--cpus", "4", "--accounts", str(dump(release, "sacctmgr-assoc-tree.txt")),
                       "--qos", str(dump(release, "sacctmgr-qos.txt")),
                       "--out", str(tmp_path / "r"), "--json")
        assert result.exit_code == 0, result.output
        metrics = json.loads(result.stdout)
        rows = dump(release, "sacct-P-allocations.txt").read_text().count("\n") - 1
        assert metrics["submitted"] + metrics["skipped"] == rows
        assert metrics["unaccounted"] == 0
        assert (metrics["failed"], metrics["timeout"]) == (1, 1)
        assert metrics["rejected"] == 0
        assert metrics["submitted"] == 19      # the heterogeneous job is one of them
        assert_children_started_after_parents(cluster, tmp_path / "r")
        assert_het_job_ran_as_its_components(cluster, tmp_path / "r")
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
        # The dump's tree: physics and chem under science, science and wlgen under root.
        parents = cluster.slurm(["sacctmgr", "-P", "-n", "show", "assoc", "where", "user=",
                                 "format=Account,ParentName"]).splitlines()
        assert {"physics|science", "chem|science", "science|root", "wlgen|root"} <= set(
            parents), parents


def assert_children_started_after_parents(cluster, run: Path) -> None:
    """Every job with a dependency started (sacct's Start) after its parent ended (sacct's
    End), and Slurm knew of the dependency (it pended with reason Dependency or started
    only once its parent was done)."""
    requests = [json.loads(line) for line in (run / "requests.jsonl").read_text().splitlines()]
    ids = {e["seq"]: e["job_id"] for e in map(json.loads,
                                              (run / "events.jsonl").read_text().splitlines())
           if e["kind"] == "start"}
    by_source = {r["source_id"]: r["seq"] for r in requests}
    children = {r["seq"]: [t for _, targets in r["depends"] for t in targets]
                for r in requests if r.get("depends")}
    pairs = [(ids[seq], ids[by_source[p]]) for seq, parents in children.items()
             for p in parents]
    # after-ok, after-any, after-notok, and the second "single" on the first.
    assert len(children) == 5 and len(pairs) == 4, (children, pairs)
    wanted = sorted({job for pair in pairs for job in pair})

    def times() -> dict[str, tuple[str, str]] | None:   # accounting lags the queue
        out = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-j", ",".join(wanted),
                             "-o", "JobID,Start,End"])
        got = {row[0]: (row[1], row[2]) for row in (x.split("|") for x in out.splitlines())}
        done = all(j in got and got[j][1] not in ("Unknown", "") for j in wanted)
        return got if done else None
    got = wait_for(times, 60, "sacct to hold the parents and children")
    for child, parent in pairs:
        assert got[child][0] >= got[parent][1], (child, got[child], parent, got[parent])


def assert_het_job_ran_as_its_components(cluster, run: Path) -> None:
    """The dump's heterogeneous job (``-n1`` : ``-n2``) ran as one job of two components
    with those CPU counts, started together (sacct)."""
    requests = [json.loads(line) for line in (run / "requests.jsonl").read_text().splitlines()]
    (seq,) = [r["seq"] for r in requests if r.get("components")]
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    (job,) = {e["job_id"] for e in events if e["seq"] == seq and e["kind"] == "start"}

    def rows() -> dict[str, list[str]] | None:   # accounting lags the queue
        out = cluster.slurm(["sacct", "-a", "-X", "-P", "-n", "-j", job,
                             "-o", "JobID,NCPUS,Start,State"])
        got = {r[0]: r for r in (x.split("|") for x in out.splitlines())}
        return got if {f"{job}+0", f"{job}+1"} <= set(got) else None
    got = wait_for(rows, 60, "sacct to hold the heterogeneous job")
    first, second = got[f"{job}+0"], got[f"{job}+1"]
    assert (first[1], second[1]) == ("1", "2") and first[2] == second[2], got

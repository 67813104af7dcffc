"""The CLI backend end to end against a real slurmctld in containers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from workload.backends.slurm.backend import SlurmBackend
from workload.cluster import Cluster, wait_for
from workload.run.runner import run_workload
from workload.sources import StormSource
from workload.spec import JobSpec

from .conftest import FAIL_EXIT, cancel_run_jobs, run_fail_and_pass, wait_for_idle_nodes

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]


def events_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_storm_every_job_accounted_with_slurm_timestamps(cluster: Cluster, backend: SlurmBackend,
                                                         tmp_path: Path) -> None:
    source = StormSource(24, runtime="1-3", users=3, seed=1)
    result = run_workload(source, backend, kind="storm", out=tmp_path / "run")
    assert result.complete, result.metrics
    assert result.metrics["completed"] == 24 and result.metrics["unaccounted"] == 0
    events = events_of(tmp_path / "run")
    by_seq: dict[int, list[str]] = {}
    for event in events:
        by_seq.setdefault(event["seq"], []).append(event["kind"])
        assert event["time"] == int(event["time"])   # Slurm's own (whole-second) stamps
    assert all(kinds == ["submit", "start", "end"] for kinds in by_seq.values())
    submits = [e for e in events if e["kind"] == "submit"]
    assert all(e["submit_latency_s"] is not None for e in submits)
    assert {e["user"] for e in submits} == {"u1", "u2", "u3"}
    # The trace's users are real users of the cluster: Slurm ran the jobs as them.
    names = ",".join(f"{backend.prefix}{i}" for i in range(24))
    users = wait_for(lambda: cluster.slurm(["sacct", "-a", "-X", "--noheader", "--parsable2",
                                            "--format=User", "--name", names]).split(),
                     30, "the run in accounting")
    assert set(users) == {"u1", "u2", "u3"}


def test_impossible_job_is_rejected_not_left_pending(backend: SlurmBackend,
                                                     tmp_path: Path) -> None:
    specs = [JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60),
             JobSpec(seq=1, submit_s=0, procs=1000, runtime_s=1, time_limit_s=60)]
    result = run_workload(specs, backend, kind="storm", out=tmp_path / "run")
    assert result.complete
    assert result.metrics["completed"] == 1 and result.metrics["rejected"] == 1
    end = [e for e in events_of(tmp_path / "run") if e["seq"] == 1 and e["kind"] == "end"]
    assert end[0]["state"] == "REJECTED" and "1000 CPUs" in end[0]["reason"]


def test_a_failed_job_ends_with_the_exit_code_of_its_payload(backend: SlurmBackend,
                                                              tmp_path: Path) -> None:
    # Both ends are seen in squeue (finished jobs stay there for MinJobAge), the path
    # that used to drop every exit code but COMPLETED's 0.
    ends = run_fail_and_pass(backend, tmp_path / "run")
    assert ends == {0: ("FAILED", FAIL_EXIT), 1: ("COMPLETED", 0)}


def test_ctrl_c_writes_the_run_and_cancels_its_jobs(cluster: Cluster, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workload.cli.main", "storm", "--jobs", "40", "--runtime",
         "60", "--backend", "slurm", "--cluster", cluster.name, "--cancel-on-exit",
         "--out", str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wait_for(lambda: (run_dir / "events.jsonl").exists() and sum(
        1 for e in events_of(run_dir) if e["kind"] == "start") >= 4, 90, "jobs running")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err
    assert "interrupted" in err and (run_dir / "accounting.json").exists()
    settings = json.loads((run_dir / "settings.json").read_text())
    prefix = f"wlgen.{settings['run_id']}."
    wait_for(lambda: not cancel_run_jobs(cluster, prefix), 60, "the run's jobs to be gone")


def test_slurmctld_restart_mid_storm_loses_no_job_and_duplicates_none(
        cluster: Cluster, backend: SlurmBackend, tmp_path: Path) -> None:
    source = StormSource(150, rate=30, runtime="1-2", seed=2)
    # slurmctld is the ctld container's main process: restarting it is restarting that
    # container (SIGTERM first, so slurmctld saves its state as on any clean restart).
    engine = cluster.engine.name
    restart = subprocess.Popen(["sh", "-c", "sleep 2; exec \"$@\"", "sh", engine, "restart",
                                "-t", "20", cluster.container("ctld")],
                               env=cluster.exec_env(), stdout=subprocess.DEVNULL)
    result = run_workload(source, backend, kind="storm", out=tmp_path / "run")
    assert restart.wait(60) == 0
    assert result.complete, result.metrics
    assert result.metrics["completed"] == 150
    # Every job exactly once: accounting holds exactly the run's 150 Slurm ids. By id, not
    # by name: jobs that fell behind during the restart go as one array per shape, whose
    # tasks ("A_i") all carry the first job's name. Accounting lags the queue a little.
    ran = {e["job_id"] for e in events_of(tmp_path / "run") if e["kind"] == "end"}
    ours = wait_for(lambda: accounted_ids(cluster, backend.prefix, at_least=150), 60,
                    "the run in accounting")
    assert len(ours) == len(set(ours)) == 150 and set(ours) == ran


def accounted_ids(cluster: Cluster, prefix: str, at_least: int) -> list[str] | None:
    """Slurm ids (array tasks one each) of accounted jobs named ``prefix``...; None while
    fewer than ``at_least``."""
    rows = cluster.slurm(["sacct", "-a", "-X", "--noheader", "--parsable2",
                          "--format=JobID,JobName", "-S", "now-1hour"]).split()
    ids = [row.split("|", 1)[0] for row in rows if row.split("|", 1)[-1].startswith(prefix)]
    return ids if len(ids) >= at_least else None


@pytest.mark.slow
def test_killed_node_container_ends_its_jobs_node_fail_or_requeued(
        cluster: Cluster, backend: SlurmBackend, tmp_path: Path) -> None:
    source = StormSource(8, runtime="20", seed=3)   # 8 x 1 CPU: both nodes busy
    engine = cluster.engine.name

    def kill_n2_then_bring_it_back() -> None:
        time.sleep(8)
        subprocess.run([engine, "kill", cluster.container("n2")], env=cluster.exec_env(),
                       check=True, capture_output=True)
        # Back once slurmctld has declared it down (SlurmdTimeout=30), so the requeued
        # jobs find room again and the run ends (ReturnToService=2 re-admits it).
        wait_for(lambda: "down" in cluster.node_states().get("n2", ""), 120, "n2 down")
        subprocess.run([engine, "start", cluster.container("n2")], env=cluster.exec_env(),
                       check=True, capture_output=True)
    killer = threading.Thread(target=kill_n2_then_bring_it_back, daemon=True)
    killer.start()
    try:
        result = run_workload(source, backend, kind="storm", out=tmp_path / "run")
    finally:
        killer.join(150)
        subprocess.run([engine, "start", cluster.container("n2")], env=cluster.exec_env(),
                       check=False, capture_output=True)
    assert result.complete, result.metrics
    events = events_of(tmp_path / "run")
    hit = {e["seq"] for e in events if e["state"] in ("NODE_FAIL", "REQUEUED")}
    assert hit, "no job reported the node failure"
    on_n2 = {e["seq"] for e in events if e["kind"] == "start" and "n2" in e["nodes"]}
    assert on_n2 & hit, (on_n2, hit)
    # Every job has exactly one end, after its last start.
    ends = [e["seq"] for e in events if e["kind"] == "end"]
    assert sorted(ends) == list(range(8))
    wait_for_idle_nodes(cluster, 180)

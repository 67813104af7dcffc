"""The REST backend end to end: `wlgen storm` through slurmrestd of a real cluster.

A cluster of its own (22.05, API v0.0.38; not conftest's, whose session fixture takes
down a running cluster of its name, which a CLI test session may be using), reached both
as a wlgen cluster (``--cluster``) and as a slurmrestd known only by URL and token.
WLGEN_REST_TEST_CLUSTER=NAME runs the tests on a running cluster instead (left up).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from collections.abc import Iterator

import pytest

from workload.cluster import Cluster, ClusterSpec, down, up, wait_for
from workload.cluster.secrets import sign_jwt

from workload.testing.require import require
from tests.clusters import per_run_name

from .conftest import cancel_run_jobs

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root]
WLGEN = [sys.executable, "-m", "workload.cli.main"]
REST_CLUSTER = per_run_name("wlgen-restbe")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """2 nodes x 4 CPUs, bookworm (Slurm 22.05), fresh for this module."""
    require("cluster")
    given = os.environ.get("WLGEN_REST_TEST_CLUSTER")
    if given:
        yield Cluster.load(given)
        return
    spec = ClusterSpec(name=REST_CLUSTER, nodes=2, cpus=4, mem_mb=1024)
    down(spec.name)
    handle = up(spec, timeout=300)
    yield handle
    cancel_run_jobs(handle)
    down(spec.name)


def wlgen(*args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WLGEN, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def events_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def test_storm_through_slurmrestd_accounts_for_every_job(cluster: Cluster,
                                                         tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", "20", "--runtime", "1-3", "--size", "1-4", "--users", "3",
                 "--backend", "slurm", "--slurm-client", "rest", "--cluster", cluster.name,
                 "--json", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["completed"] == 20 and metrics["unaccounted"] == 0, metrics
    kinds: dict[int, list[str]] = {}
    for event in events_of(run_dir):
        kinds.setdefault(event["seq"], []).append(event["kind"])
        assert event["time"] == int(event["time"]) or event["kind"] == "submit"
    assert kinds == {seq: ["submit", "start", "end"] for seq in range(20)}
    # Jobs ran as the trace's users (a token signed for each), as with the CLI backend.
    prefix = f"wlgen.{json.loads((run_dir / 'settings.json').read_text())['run_id']}."
    users = wait_for(lambda: cluster.slurm(["sacct", "-a", "-X", "--noheader", "--parsable2",
                                            "--format=User,JobName", "-S", "now-1hour"]),
                     30, "the run in accounting")
    ran_as = {line.split("|")[0] for line in users.splitlines() if prefix in line}
    assert ran_as == {"u1", "u2", "u3"}


def test_a_slurmrestd_known_only_by_url_and_token(cluster: Cluster, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", "6", "--runtime", "1", "--backend", "slurm",
                 "--slurm-url", cluster.rest_url, "--slurm-token", cluster.token("root"),
                 "--cluster", "", "--json", "--out", str(run_dir))
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["completed"] == 6 and metrics["unaccounted"] == 0, metrics


def test_environment_variables_name_the_server_too(cluster: Cluster, tmp_path: Path) -> None:
    env = {**os.environ, "SLURM_URL": cluster.rest_url, "SLURM_JWT": cluster.token("root")}
    done = subprocess.run([*WLGEN, "storm", "--jobs", "2", "--runtime", "1", "--backend",
                           "slurm", "--slurm-client", "rest", "--cluster", "", "--json",
                           "--out", str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["completed"] == 2


def test_a_refused_token_is_one_clear_line_and_exit_2(cluster: Cluster,
                                                      tmp_path: Path) -> None:
    forged = sign_jwt(b"not the cluster's key".ljust(32, b"!"), "root")
    done = wlgen("storm", "--jobs", "2", "--backend", "slurm", "--slurm-url", cluster.rest_url,
                 "--slurm-token", forged, "--out", str(tmp_path / "run"), timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and cluster.rest_url in lines[0], done.stderr
    assert "refused the token" in lines[0] and "--slurm-token" in lines[0]
    unreachable = wlgen("storm", "--jobs", "2", "--backend", "slurm", "--slurm-url",
                        "http://127.0.0.1:9", "--slurm-token", forged, timeout=60)
    assert unreachable.returncode == 1
    assert "http://127.0.0.1:9 does not answer" in unreachable.stderr


def test_ctrl_c_cancels_the_runs_jobs_through_slurmrestd(cluster: Cluster,
                                                         tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [*WLGEN, "storm", "--jobs", "12", "--runtime", "60", "--backend", "slurm",
         "--slurm-client", "rest", "--cluster", cluster.name, "--cancel-on-exit",
         "--out", str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        wait_for(lambda: (run_dir / "events.jsonl").exists() and sum(
            1 for e in events_of(run_dir) if e["kind"] == "start") >= 2, 90, "jobs running")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    settings = json.loads((run_dir / "settings.json").read_text())
    prefix = f"wlgen.{settings['run_id']}."
    # Nothing of the run is left queued or running: DELETE reached every job.
    wait_for(lambda: not _queued(cluster, prefix), 60, "the run's jobs to be gone")
    cancel_run_jobs(cluster, prefix)


def _queued(cluster: Cluster, prefix: str) -> list[str]:
    out = cluster.slurm(["squeue", "--noheader", "--format=%i|%T|%j"])
    return [line for line in out.splitlines()
            if line.split("|")[-1].startswith(prefix) and "|CANCELLED|" not in line]

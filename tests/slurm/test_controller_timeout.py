"""A controller that goes away: gone longer than --controller-timeout ends the run (exit 1,
one line, the run directory naming every unfinished job); back sooner, the run goes on.

A cluster of its own (its controller is stopped and started): 1 node x 4 CPUs, 22.05.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clusters import per_run_name, session_cluster
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.errors import ClusterError

from .conftest import cancel_run_jobs

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.root, pytest.mark.slow]
WLGEN = [sys.executable, "-m", "workload.cli.main"]
TIMEOUT_S = 20


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    from workload.testing.require import require
    require("cluster")
    spec = ClusterSpec(name=per_run_name("wlgen-ctltmo"), nodes=1, cpus=4, mem_mb=1024)
    with session_cluster(spec, []) as handle:
        yield handle


@pytest.fixture(autouse=True)
def idle_after(cluster: Cluster) -> Iterator[None]:
    """After each test, pass or fail: slurmctld back, the run's jobs cancelled (the first
    test's run 120 s) and the node idle, so no test starts on another's leftovers."""
    yield
    wait_for(lambda: answers(cluster), 120, "slurmctld back")
    cancel_run_jobs(cluster)
    wait_for(lambda: set(cluster.node_states().values()) == {"idle"}, 120, "the node idle")


def engine(cluster: Cluster, verb: str) -> None:
    """Stop or start the controller's container (slurmctld is its main process)."""
    argv = [cluster.engine.name, verb, *(["-t", "5"] if verb == "stop" else []),
            cluster.container("ctld")]
    subprocess.run(argv, env=cluster.exec_env(), check=True, capture_output=True, timeout=120)


def storm(cluster: Cluster, run_dir: Path, runtime: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*WLGEN, "storm", "--jobs", "4", "--runtime", runtime, "--backend", "slurm",
         "--cluster", cluster.name, "--controller-timeout", str(TIMEOUT_S),
         "--out", str(run_dir), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def started(run_dir: Path) -> int:
    events = run_dir / "events.jsonl"
    if not events.exists():
        return 0
    return sum(json.loads(line)["kind"] == "start" for line in events.read_text().splitlines())


def wait_running(cluster: Cluster, proc: subprocess.Popen[str], run_dir: Path,
                 count: int = 4, timeout: float = 180) -> None:
    """Until the storm's ``count`` jobs have started. A storm that exits first ends the
    wait at once with its own stderr; a timeout says what Slurm was doing meanwhile."""
    def running() -> bool:
        if started(run_dir) >= count:
            return True
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"the storm exited ({proc.returncode}) with "
                                 f"{started(run_dir)} of {count} jobs started:\n{err}")
        return False
    try:
        wait_for(running, timeout, f"the storm's {count} jobs running", interval=0.5)
    except ClusterError as err:
        raise AssertionError(f"{err}\n{slurm_view(cluster)}") from None


def slurm_view(cluster: Cluster) -> str:
    """The queue with reasons, the node and the controller's last words (for a failure)."""
    squeue = cluster.exec("ctld", ["squeue", "-o", "%i %j %T %r %S"], timeout=30)
    node = cluster.exec("ctld", ["scontrol", "show", "node", "-o"], timeout=30)
    return "\n".join([squeue.stdout.decode(errors="replace"),
                      node.stdout.decode(errors="replace"), cluster.logs("ctld", 40)])


def test_a_controller_gone_longer_than_the_timeout_ends_the_run(cluster: Cluster,
                                                                tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = storm(cluster, run_dir, "120")
    try:
        wait_running(cluster, proc, run_dir)
        engine(cluster, "stop")
        out, err = proc.communicate(timeout=TIMEOUT_S + 90)
    finally:
        proc.kill()
        engine(cluster, "start")
    assert proc.returncode == 1, err
    # The summary's "stopped by" row says it too; the error itself is one "wlgen:" line.
    lines = [line for line in err.splitlines() if line.startswith("wlgen: cluster ")
             and "slurmctld unreachable" in line]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"wlgen: cluster {cluster.name}: slurmctld unreachable for ")
    assert f"(--controller-timeout {TIMEOUT_S})" in lines[0]
    seconds = float(lines[0].split("unreachable for ")[1].split(" s")[0])
    assert TIMEOUT_S <= seconds < TIMEOUT_S + 15   # the line rounds to whole seconds
    accounting = json.loads((run_dir / "accounting.json").read_text())
    assert accounting["unaccounted_seqs"] == [0, 1, 2, 3]   # none ended while we watched
    metrics = json.loads(out)
    assert metrics["stopped_by"] == "backend failure" and metrics["unaccounted"] == 4


def answers(cluster: Cluster) -> bool:
    try:
        cluster.slurm(["squeue", "--noheader"])
    except ClusterError:
        return False
    return True


def test_a_restart_shorter_than_the_timeout_keeps_the_run_going(cluster: Cluster,
                                                               tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    proc = storm(cluster, run_dir, "8")
    try:
        wait_running(cluster, proc, run_dir)
        engine(cluster, "stop")
        time.sleep(8)   # the controller stays away ~8 s (plus the stop itself): a fault
        engine(cluster, "start")
        out, err = proc.communicate(timeout=180)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "slurmctld unreachable" not in err
    metrics = json.loads(out)
    assert metrics["completed"] == 4 and metrics["unaccounted"] == 0, metrics
    assert metrics["stopped_by"] is None

"""A real containerised Slurm cluster for the Slurm backend tests (one per session).

Skips with a reason when not root or podman/runc are missing (CI is root and installs
them with .ci/setup.d/20-podman.sh). Every job a test submits carries a run tag; the
teardown cancels whatever any run left behind, then removes the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from workload.backends.base import Backend
from workload.backends.slurm import make_backend
from workload.backends.slurm.backend import SlurmBackend
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.run.runner import run_workload
from workload.spec import JobSpec

from workload.testing.require import require
from tests.clusters import owned_cluster, per_run_name

TEST_CLUSTER = per_run_name("wlgen-slurmbe")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """2 nodes x 4 CPUs, bookworm (Slurm 22.05), fresh for the session."""
    require("cluster")
    spec = ClusterSpec(name=TEST_CLUSTER, nodes=2, cpus=4, mem_mb=1024)
    # Owned: a run killed mid-session (SIGKILL) leaves it to the next session's reap.
    with owned_cluster(spec, before_down=cancel_run_jobs) as handle:
        yield handle


def cancel_run_jobs(cluster: Cluster, prefix: str = "wlgen.") -> list[str]:
    """Cancel every queued or running job whose name starts with ``prefix``."""
    out = cluster.slurm(["squeue", "--noheader", "--format=%i|%j"])
    ids = [line.split("|")[0] for line in out.splitlines() if line.split("|")[-1]
           .startswith(prefix)]
    if ids:
        cluster.exec("ctld", ["scancel", *ids])
    return ids


@pytest.fixture
def backend(cluster: Cluster) -> Iterator[SlurmBackend]:
    made = make_backend(client="cli", cluster=cluster.name)
    assert isinstance(made, SlurmBackend)
    yield made
    made.close()


def wait_for_idle_nodes(cluster: Cluster, timeout: float = 120) -> None:
    """Every node back to idle (after a fault test), via the one polling helper."""
    wait_for(lambda: set(cluster.node_states().values()) == {"idle"}, timeout,
             "every node idle")


FAIL_EXIT = 7   # the exit code of run_fail_and_pass's failing job


def run_fail_and_pass(backend: Backend, out: Path) -> dict[int, tuple[str, int | None]]:
    """Run one job that exits FAIL_EXIT (the kernel's --fail-exit) and one that succeeds;
    seq -> (final state, exit code) from the run's end events."""
    specs = [JobSpec(seq=0, submit_s=0, procs=1, runtime_s=1, time_limit_s=60,
                     payload_args=("--fail-exit", str(FAIL_EXIT))),
             JobSpec(seq=1, submit_s=0, procs=1, runtime_s=1, time_limit_s=60)]
    result = run_workload(specs, backend, kind="storm", out=out)
    assert result.complete, result.metrics
    lines = (out / "events.jsonl").read_text().splitlines()
    return {e["seq"]: (e["state"], e["exit_code"]) for e in map(json.loads, lines)
            if e["kind"] == "end"}

"""A real containerised Slurm cluster for the tests of tests/cluster (one per session).

Tests that need it skip with a reason when not root or podman/runc are missing; CI is
root and installs them with .ci/setup.d/20-podman.sh.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.clusters import per_run_name, session_cluster
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.testing.require import require

TEST_CLUSTER = per_run_name("wlgen-test")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    """A 2-node bookworm cluster, fresh for this session and removed at its end."""
    require("cluster")
    with session_cluster(ClusterSpec(name=TEST_CLUSTER, nodes=2, cpus=4, mem_mb=1024),
                         submitted) as handle:
        yield handle


submitted: list[str] = []  # every job a test submits, cancelled at teardown


def submit_job(cluster: Cluster, *args: str) -> str:
    out = cluster.slurm(["sbatch", "--parsable", *args]).strip()
    job = out.split(";")[0]
    submitted.append(job)
    return job


def sacct_job(cluster: Cluster, job: str) -> dict | None:
    """(state, nodes) of the job from `sacct --json` (None until accounting has it)."""
    done = cluster.exec("ctld", ["sacct", "--json", "-j", job])
    if done.returncode != 0:
        return None
    for row in json.loads(done.stdout).get("jobs", []):
        current = row["state"]["current"]  # a string in 22.05, a list from 23.x on
        return {"state": current[0] if isinstance(current, list) else current,
                "nodes": row.get("nodes")}
    return None


def wait_for_end(cluster: Cluster, job: str, timeout: float = 60) -> dict:
    """The job's sacct record once it has ended (accounting lags the queue a little)."""
    ended = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY"}
    return wait_for(lambda: (r := sacct_job(cluster, job)) and r["state"] in ended and r,
                    timeout, f"job {job} to end in sacct")

"""A small containerised cluster for the fabric tests (one per session), and helpers.

Tests that need it skip with a reason when not root, or podman/runc, tc, ip, nsenter or
ethtool are missing (CI installs them: .ci/setup.d/20-podman.sh, 45-fabric.sh). Every
wait goes through the one polling helper, ``workload.cluster.wait_for``; every job a test
submits is cancelled at teardown, and every cable pulled is plugged back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.clusters import per_run_name, session_cluster
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.testing.require import require

NAME = per_run_name("wlgen-fabtest")
ENDED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
         "BOOT_FAIL", "DEADLINE", "PREEMPTED"}


@pytest.fixture(scope="session")
def fab() -> Iterator[Cluster]:
    """A 3-node cluster (2 nodes under leaf0, 1 under leaf1 in the fat tree tests)."""
    require("cluster", "fabric")
    with session_cluster(ClusterSpec(name=NAME, nodes=3, cpus=2, mem_mb=1024), submitted,
                         before_down=plug_back_and_clear) as cluster:
        yield cluster


def plug_back_and_clear(cluster: Cluster) -> None:
    """Every cable plugged back and the shaping removed (session_cluster calls this only
    while the cluster has containers, so any failure here is a real one)."""
    from workload.fabric import apply, faults

    for node in cluster.spec.node_names:
        faults.link(cluster, node, up=True)
    apply.clear(cluster)


submitted: list[str] = []   # every job a test submits, cancelled at teardown


def submit_script(cluster: Cluster, script: str, *args: str) -> str:
    """sbatch ``script`` (its text on stdin) with ``args``; returns the job id."""
    done = cluster.exec("ctld", ["sbatch", "--parsable", *args], input=script.encode(),
                        check=True)
    job = done.stdout.decode().strip().split(";")[0]
    submitted.append(job)
    return job


def job_fields(cluster: Cluster, job: str) -> dict[str, str]:
    """``scontrol show job -o`` as a dict (no accounting lag, kept MinJobAge s)."""
    out = cluster.slurm(["scontrol", "show", "job", "-o", job])
    return dict(re.findall(r"(\w+)=(\S*)", out))


def wait_for_end(cluster: Cluster, job: str, timeout: float) -> dict[str, str]:
    return wait_for(lambda: (f := job_fields(cluster, job))["JobState"] in ENDED and f,
                    timeout, f"job {job} to end", interval=0.5)


def wait_for_state(cluster: Cluster, job: str, state: str, timeout: float) -> dict[str, str]:
    return wait_for(lambda: (f := job_fields(cluster, job))["JobState"] == state and f,
                    timeout, f"job {job} to be {state}", interval=0.5)


def wait_for_nodes_idle(cluster: Cluster, timeout: float = 120) -> None:
    wait_for(lambda: set(cluster.node_states().values()) <= {"idle"}, timeout,
             "every node to be idle", interval=1.0)

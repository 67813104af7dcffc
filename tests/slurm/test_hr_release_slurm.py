"""Releasing a held job through slurmrestd (22.05, v0.0.38): ``POST job/{id}`` with
``{"hold": false}`` does what ``scontrol release`` does, so the watcher can release a job
Slurm held after a failed launch through the REST client too (it raised "not offered",
and such a job pended for ever). 24.11 (v0.0.42) and 26.05 (v0.0.44) answered the same
request the same way by hand (tests/slurm/data/rest/README.md)."""

from __future__ import annotations

import pytest

from workload.backends.slurm.rest import rest_client
from workload.cluster import Cluster, wait_for

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]


def test_a_held_job_released_through_slurmrestd_runs(cluster: Cluster) -> None:
    job = cluster.slurm(["sbatch", "--parsable", "--hold", "-J", "wlgen.hrrel.0",
                         "-o", "/dev/null", "--wrap", "sleep 1"]).strip()

    def state() -> str:
        return cluster.slurm(["squeue", "--states=all", "--noheader", "-j", job,
                              "-o", "%T %r"]).strip()
    assert state() == "PENDING JobHeldUser"
    client, _ = rest_client(cluster, None, None)
    try:
        client.release([job])
    finally:
        client.close()
    wait_for(lambda: state().startswith("COMPLETED"), 120, f"job {job} to run once released")

"""A real Slurm cluster in containers (podman, or docker where it exists).

Public API (what the Slurm backends and tests use):

    Cluster.load(name) -> Cluster          a started cluster: exec, rest_url, token(),
                                           slurm_version, describe(), add_users()
    up(ClusterSpec(...), timeout=180) -> Cluster    start (no-op when already up)
    down(name) -> bool                     remove everything (no-op when gone)
    ensure_image(engine, suite) -> str     build the Slurm image when missing/stale
    wait_for(predicate, timeout, what)     the one polling helper

The CLI is `wlgen cluster ...` (workload/cli/cluster.py).
"""

from workload.cluster.cluster import Cluster
from workload.cluster.config import SUITES, ClusterSpec
from workload.cluster.images import ensure_image
from workload.cluster.lifecycle import down, up
from workload.cluster.wait import wait_for

__all__ = ["Cluster", "ClusterSpec", "SUITES", "down", "ensure_image", "up", "wait_for"]

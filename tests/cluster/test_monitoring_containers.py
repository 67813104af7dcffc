"""With several slurmd a container (--nodes-per-container K), the monitoring reads each
node container once: its cgroup (the nodes layer) and its log file (the daemon logs)
are the container's, shared by its K Slurm nodes."""

from __future__ import annotations

from pathlib import Path

import pytest

from workload.cluster import Cluster, ClusterSpec
from workload.cluster.collect.collector import node_containers


@pytest.fixture
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WLGEN_STATE_DIR", str(tmp_path))
    return tmp_path


def test_one_slurmd_a_container_samples_every_node(state_dir: Path) -> None:
    cluster = Cluster(ClusterSpec(name="m1", nodes=3))
    assert node_containers(cluster) == {"n1": "m1-n1", "n2": "m1-n2", "n3": "m1-n3"}


def test_several_slurmd_a_container_sample_each_container_once(state_dir: Path) -> None:
    cluster = Cluster(ClusterSpec(name="m4", nodes=10, nodes_per_container=4))
    # Sampled per Slurm node, c1 was read 4 times and n1..n4 each showed all of c1's CPU.
    assert cluster.container("n3") == "m4-c1"
    assert node_containers(cluster) == {"c1": "m4-c1", "c2": "m4-c2", "c3": "m4-c3"}

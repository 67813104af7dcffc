"""A 128-node Slurm cluster on 8 containers of 16 slurmd each (issue 18 §1): it comes
up idle, a storm of a few hundred jobs runs with every job accounted for, and one Slurm
node goes down and up alone, its 15 neighbours in the container staying in service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clusters import per_run_name
from tests.slurm.test_rest_backend import wlgen
from workload.backends.slurm.faults import SlurmFaults
from workload.cluster import Cluster, ClusterSpec, session
from workload.cluster.nodes import CtldCommands, return_to_service, show
from workload.fault import Fault
from workload.testing.require import require

NODES, PER_CONTAINER = 128, 16
STORM_JOBS = 300


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    require("cluster")
    spec = ClusterSpec(name=per_run_name("h5-large"), nodes=NODES, cpus=1, mem_mb=256,
                       nodes_per_container=PER_CONTAINER)
    # Generous: 128 slurmd register on 2 shared cores.
    with session(spec, fresh=True, timeout=900) as current:
        yield current.cluster


def test_128_nodes_are_idle_on_8_containers(cluster: Cluster) -> None:
    states = cluster.node_states()
    assert states == {f"n{i}": "idle" for i in range(1, NODES + 1)}
    hosts = ["db", "ctld", "rest", *(f"c{j}" for j in range(1, 9))]
    assert set(cluster.container_states()) == {cluster.spec.container(h) for h in hosts}
    # A job on n17 and n32 runs in the second container, on two slurmd of their own.
    out = cluster.slurm(["srun", "-w", "n17,n32", "-N2", "sh", "-c",
                         "echo $(hostname) $SLURMD_NODENAME"], timeout=120)
    assert sorted(out.split("\n")[:2]) == ["c2 n17", "c2 n32"]


def test_a_storm_on_128_nodes_accounts_for_every_job(cluster: Cluster,
                                                      tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    done = wlgen("storm", "--jobs", str(STORM_JOBS), "--runtime", "1-2", "--size", "1-4",
                 "--backend", "slurm", "--cluster", cluster.name, "--json",
                 "--out", str(run_dir), timeout=900)
    assert done.returncode == 0, done.stderr
    accounting = json.loads((run_dir / "accounting.json").read_text())
    assert accounting["by_state"] == {"COMPLETED": STORM_JOBS}, accounting
    assert accounting["unaccounted_seqs"] == []


def test_one_slurm_node_goes_down_and_up_alone(cluster: Cluster) -> None:
    faults = SlurmFaults(cluster, ())
    commands = CtldCommands(cluster)
    faults.apply(Fault(at_s=0, action="node_down", node="n20"))
    assert show(commands, "n20").needs_resume
    assert show(commands, "n19").up and show(commands, "n21").up   # same container, c2
    faults.apply(Fault(at_s=0, action="node_up", node="n20"))
    assert return_to_service(commands, "n20", timeout=120).up

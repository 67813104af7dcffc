"""Apply a topology to a running cluster, remember it, and clear it again.

The applied fabric is saved as ``fabric.json`` in the cluster's state dir, so `status`,
`watch` and the faults know the ports and leaves without being told again; it goes away
with the cluster (`wlgen cluster down` removes the state dir). The leaves' ifb devices
live in the host namespace and do not: `wlgen fabric clear` removes them, and `apply`
replaces those of an earlier apply.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from workload.cluster import Cluster
from workload.errors import ClusterError
from workload.fabric import netns, shaping
from workload.fabric.topology import Topology, build

STATE_FILE = "fabric.json"


def ifb_prefix(cluster: Cluster) -> str:
    """Unique among running clusters on this host: each has its own 10.213.X.0/24."""
    return f"wf{cluster.spec.subnet}"


def topology_for(cluster: Cluster, kind: str, rate_bps: int, **shape) -> Topology:
    """``kind`` over the cluster's node containers, at their fixed bridge addresses
    (per container: with several slurmd a container, its nodes share one link)."""
    hosts = cluster.spec.hosts()
    if cluster.spec.nodes_per_container > 1:
        print(f"wlgen fabric: cluster {cluster.name} runs {cluster.spec.nodes_per_container} "
              f"Slurm nodes a container: the fabric is per container (c1..c"
              f"{cluster.spec.containers}), each container's nodes share its link",
              file=sys.stderr)
    return build(kind, {n: hosts[n] for n in cluster.spec.node_hosts}, rate_bps, **shape)


def apply(cluster: Cluster, topo: Topology, *, offloads_off: bool = True) -> dict:
    """Clear any earlier fabric, shape ``topo``, save and return the fabric record."""
    clear(cluster)
    pids, veths = netns.locate(cluster)
    prefix = ifb_prefix(cluster)
    for step in shaping.apply_steps(topo, veths, prefix, offloads_off):
        netns.run_step(step, pids)
    record = {"topology": topo.to_dict(), "veths": veths, "ifb_prefix": prefix,
              "offloads_off": offloads_off}
    _state_path(cluster).write_text(json.dumps(record, indent=2) + "\n")
    return record


def clear(cluster: Cluster) -> None:
    """Remove every shaping rule and ifb of ``cluster``'s fabric (no-op when unshaped)."""
    record = load(cluster)
    pids, veths = netns.locate(cluster)
    ifbs = (shaping.ifb_names(Topology.from_dict(record["topology"]), record["ifb_prefix"])
            if record else [])
    for step in shaping.clear_steps(veths, ifbs):
        netns.run_step(step, pids)
    _state_path(cluster).unlink(missing_ok=True)


def load(cluster: Cluster) -> dict | None:
    """The saved fabric record of ``cluster``, or None when no fabric is applied."""
    path = _state_path(cluster)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except ValueError as err:
        raise ClusterError(f"cannot read {path}: {err}") from err


def require(cluster: Cluster) -> dict:
    record = load(cluster)
    if record is None:
        raise ClusterError(f"no fabric on cluster {cluster.name}: run "
                           f"`wlgen fabric apply --cluster {cluster.name}` first")
    return record


def _state_path(cluster: Cluster) -> Path:
    return cluster.dir / STATE_FILE

"""What `wlgen fabric status` shows: the applied topology and every port's counters."""

from __future__ import annotations

from pathlib import Path

from workload.cluster import Cluster
from workload.fabric import apply, netns
from workload.fabric.counters import IB_NAMES, read_ports
from workload.fabric.topology import Topology, format_rate


def link_state(veth: str) -> str:
    """The host end's operstate: "up", or "down" once the cable is pulled."""
    try:
        return Path(f"/sys/class/net/{veth}/operstate").read_text().strip()
    except FileNotFoundError:
        return "gone"


def fabric_status(cluster: Cluster) -> dict:
    record = apply.require(cluster)
    topo = Topology.from_dict(record["topology"])
    pids = {node: netns.node_pid(cluster, node) for node in topo.nodes}
    ports = []
    for port in read_ports(topo, pids, record["ifb_prefix"]):
        row = port.to_dict()
        if port.kind == "node":
            row["link"] = link_state(record["veths"][port.port])
            leaf = topo.leaf_of(port.port)
            row["leaf"] = leaf.name if leaf else "switch"
        ports.append(row)
    return {"cluster": cluster.name, "topology": topo.kind,
            "rate": format_rate(topo.rate_bps), "offloads_off": record["offloads_off"],
            "leaves": {leaf.name: {"nodes": list(leaf.nodes),
                                   "uplink": format_rate(leaf.uplink_bps)}
                       for leaf in topo.leaves},
            "units": {"PortXmitData": "4-byte words", "PortRcvData": "4-byte words",
                      "PortXmitPkts": "packets", "PortRcvPkts": "packets"},
            "ports": ports}


def render(info: dict) -> str:
    head = f"{info['cluster']}: {info['topology']} at {info['rate']}"
    for name, leaf in info["leaves"].items():
        head += f"; {name} {','.join(leaf['nodes'])} uplink {leaf['uplink']}"
    lines = [head, f"{'port':8} {'kind':7} {'link':5} " + " ".join(f"{n:>13}" for n in IB_NAMES)]
    for row in info["ports"]:
        lines.append(f"{row['port']:8} {row['kind']:7} {row.get('link', '-'):5} "
                     + " ".join(f"{row[n]:>13}" for n in IB_NAMES))
    lines.append("(PortXmitData/PortRcvData in 4-byte words, as InfiniBand counts them)")
    return "\n".join(lines)

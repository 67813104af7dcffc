"""Per-port traffic counters, named like InfiniBand port counters.

Ports: each node's port (its ``eth0``: what the node sent and received) and, in a fat tree,
each leaf's uplink (its "up" ifb's transmitted traffic is the uplink's PortXmitData,
its "down" ifb's is the uplink's PortRcvData). Read from ``/proc/PID/net/dev``, which
shows the network namespace of PID without entering it, and the host's ``/proc/net/dev``.

Units, as InfiniBand defines them: PortXmitData and PortRcvData count 4-byte words
(octets / 4, so multiply by 4 for bytes), PortXmitPkts and PortRcvPkts count packets.
Each record also carries the exact byte counts (``xmit_bytes``, ``rcv_bytes``). Bytes are
Ethernet frames without preamble and FCS (a veth has neither); with TSO/GSO off (the
default of `wlgen fabric apply`) packets are wire-sized frames, otherwise one "packet"
can be a 64 KB segment train.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from workload.errors import ClusterError
from workload.fabric.shaping import NODE_DEV
from workload.fabric.topology import Topology

IB_NAMES = ("PortXmitData", "PortRcvData", "PortXmitPkts", "PortRcvPkts")


@dataclass(frozen=True, slots=True)
class DevCounts:
    rx_bytes: int
    rx_packets: int
    tx_bytes: int
    tx_packets: int


@dataclass(frozen=True, slots=True)
class PortCounters:
    """One port's totals since its interface was created."""

    port: str            # node name (n1) or leaf uplink (leaf0)
    kind: str            # "node" or "uplink"
    xmit_bytes: int
    rcv_bytes: int
    xmit_pkts: int
    rcv_pkts: int

    def ib(self) -> dict[str, int]:
        """The four counters in InfiniBand units (data in 4-byte words)."""
        return {"PortXmitData": self.xmit_bytes // 4, "PortRcvData": self.rcv_bytes // 4,
                "PortXmitPkts": self.xmit_pkts, "PortRcvPkts": self.rcv_pkts}

    def to_dict(self) -> dict[str, object]:
        return {"port": self.port, "kind": self.kind, **self.ib(),
                "xmit_bytes": self.xmit_bytes, "rcv_bytes": self.rcv_bytes}


def parse_net_dev(text: str) -> dict[str, DevCounts]:
    """``/proc/net/dev`` -> ifname -> counts (rx bytes/packets are fields 1-2, tx 9-10)."""
    out: dict[str, DevCounts] = {}
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or len(fields) < 10:
            continue
        out[name.strip()] = DevCounts(int(fields[0]), int(fields[1]), int(fields[8]),
                                      int(fields[9]))
    return out


def read_net_dev(pid: int | None = None) -> dict[str, DevCounts]:
    """Interface counters of ``pid``'s network namespace (the host's when None)."""
    path = Path("/proc/net/dev") if pid is None else Path(f"/proc/{pid}/net/dev")
    try:
        return parse_net_dev(path.read_text())
    except FileNotFoundError as err:
        raise ClusterError(f"process {pid} is gone: its node container stopped") from err


def node_port(node: str, dev: DevCounts) -> PortCounters:
    return PortCounters(node, "node", dev.tx_bytes, dev.rx_bytes, dev.tx_packets,
                        dev.rx_packets)


def uplink_port(leaf: str, up: DevCounts, down: DevCounts) -> PortCounters:
    """An ifb transmits what it shaped: up -> to the spine, down -> from it."""
    return PortCounters(leaf, "uplink", up.tx_bytes, down.tx_bytes, up.tx_packets,
                        down.tx_packets)


def ports(topo: Topology, node_devs: Mapping[str, DevCounts],
          host_devs: Mapping[str, DevCounts], ifb_prefix: str) -> list[PortCounters]:
    """Every port of ``topo``: nodes in order, then leaf uplinks."""
    from workload.fabric.shaping import ifb_name
    out = [node_port(node, node_devs[node]) for node in topo.nodes if node in node_devs]
    for leaf in topo.leaves:
        up, down = (host_devs.get(ifb_name(ifb_prefix, leaf, d)) for d in ("up", "down"))
        if up is None or down is None:
            raise ClusterError(f"the ifb devices of {leaf.name} are gone: run "
                               "`wlgen fabric apply` again")
        out.append(uplink_port(leaf.name, up, down))
    return out


def read_ports(topo: Topology, pids: Mapping[str, int], ifb_prefix: str) -> list[PortCounters]:
    """Read every port of ``topo`` now (``pids``: node -> container pid)."""
    node_devs = {node: read_net_dev(pid)[NODE_DEV] for node, pid in pids.items()}
    host_devs = read_net_dev() if topo.leaves else {}
    return ports(topo, node_devs, host_devs, ifb_prefix)


def delta(after: Iterable[PortCounters], before: Iterable[PortCounters]) -> list[PortCounters]:
    """Per-port differences (``after`` - ``before``), matched by port name."""
    old = {p.port: p for p in before}
    out = []
    for p in after:
        b = old.get(p.port)
        if b is None:
            out.append(p)
            continue
        out.append(PortCounters(p.port, p.kind, p.xmit_bytes - b.xmit_bytes,
                                p.rcv_bytes - b.rcv_bytes, p.xmit_pkts - b.xmit_pkts,
                                p.rcv_pkts - b.rcv_pkts))
    return out

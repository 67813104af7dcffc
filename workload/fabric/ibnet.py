"""The fabric as InfiniBand sees it: an ibnetdiscover-style topology file for ibsim, and
the simulator console commands that mirror the links' counters and faults into it.

Layout: one single-port HCA per node (node description ``"<node> HCA-1"``); a flat fabric
is one switch; a fat tree is one switch per leaf (node ports first, its uplink last) under
one spine switch. The *root* switch (the flat switch or the spine) comes first in the file:
ibsim attaches clients without ``SIM_HOST`` to the first node, so the tools and opensm
sit on a switch that no node fault can cut off. GUIDs are derived from positions only
(Mellanox OUI 00:02:c9; ``01`` HCAs, ``02`` switches), so the same topology always
gives the same GUIDs; an HCA's port GUID is its node GUID + 1.

Counters: each fabric port (a node's port, a leaf's uplink) is a cable with two ends. The
*near* end (the HCA; the leaf's uplink port) transmits what the port's PortXmitData
counts, the *far* end (the switch port facing the node; the spine port facing the leaf)
receives it: its counters are the same numbers with xmit and rcv swapped. Each is set in
PortCounters (32 bits, saturating as the spec says) and PortCountersExtended (64 bits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from workload.fabric.counters import PortCounters
from workload.fabric.topology import Topology

HCA_BASE = 0x0002C90100000000
SWITCH_BASE = 0x0002C90200000000
_DEVID = {"Switch": 0xC738, "Ca": 0x1003}   # SwitchX, ConnectX-3: what tools expect
_MAX32 = (1 << 32) - 1
_MAX64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class IbPort:
    """One end of a cable: a node (by ibsim nodeid) and its port number."""

    nodeid: str
    port: int


@dataclass(frozen=True, slots=True)
class IbNode:
    kind: str                                   # "Switch" or "Ca"
    guid: int
    desc: str
    links: tuple[tuple[int, IbPort], ...]       # (local port, remote end), by port

    @property
    def nodeid(self) -> str:
        return f"{'S' if self.kind == 'Switch' else 'H'}-{self.guid:016x}"

    def port_guid(self, port: int) -> int:
        """Switch ports share the switch's GUID; an HCA port has its own."""
        return self.guid if self.kind == "Switch" else self.guid + port


@dataclass(frozen=True, slots=True)
class IbFabric:
    nodes: tuple[IbNode, ...]                       # the root switch first
    ends: Mapping[str, tuple[IbPort, IbPort]]       # fabric port -> (near, far)
    hcas: Mapping[str, str]                         # cluster node -> HCA nodeid

    @property
    def root(self) -> str:
        return self.nodes[0].nodeid

    def node(self, nodeid: str) -> IbNode:
        return next(n for n in self.nodes if n.nodeid == nodeid)

    @property
    def switches(self) -> list[IbNode]:
        return [n for n in self.nodes if n.kind == "Switch"]


def _hca(index: int, node: str) -> IbNode:
    return IbNode("Ca", HCA_BASE + 2 * (index + 1), f"{node} HCA-1", ())


def _switch(index: int, desc: str) -> IbNode:
    return IbNode("Switch", SWITCH_BASE + index + 1, desc, ())


def build(topo: Topology, name: str = "wlgen") -> IbFabric:
    """The IB view of ``topo`` (``name`` prefixes the switches' descriptions)."""
    hcas = {node: _hca(i, node) for i, node in enumerate(topo.nodes)}
    root = _switch(0, f"{name} {'spine' if topo.leaves else 'switch'}")
    if not topo.leaves:
        return _assemble([root, *hcas.values()], {
            node: (IbPort(hcas[node].nodeid, 1), IbPort(root.nodeid, i + 1))
            for i, node in enumerate(topo.nodes)}, hcas)
    ends: dict[str, tuple[IbPort, IbPort]] = {}
    leaves = []
    for k, leaf in enumerate(topo.leaves):
        sw = _switch(k + 1, f"{name} {leaf.name}")
        leaves.append(sw)
        for i, node in enumerate(leaf.nodes):
            ends[node] = (IbPort(hcas[node].nodeid, 1), IbPort(sw.nodeid, i + 1))
        ends[leaf.name] = (IbPort(sw.nodeid, len(leaf.nodes) + 1), IbPort(root.nodeid, k + 1))
    ordered = {n: ends[n] for n in topo.nodes} | {leaf.name: ends[leaf.name]
                                                  for leaf in topo.leaves}
    return _assemble([root, *leaves, *hcas.values()], ordered, hcas)


def _assemble(nodes: list[IbNode], ends: dict[str, tuple[IbPort, IbPort]],
              hcas: Mapping[str, IbNode]) -> IbFabric:
    """Give every node its links, both directions of each cable."""
    links: dict[str, list[tuple[int, IbPort]]] = {n.nodeid: [] for n in nodes}
    for near, far in ends.values():
        links[near.nodeid].append((near.port, far))
        links[far.nodeid].append((far.port, near))
    linked = tuple(IbNode(n.kind, n.guid, n.desc, tuple(sorted(links[n.nodeid],
                                                               key=lambda lk: lk[0])))
                   for n in nodes)
    return IbFabric(linked, ends, {node: hca.nodeid for node, hca in hcas.items()})


def render(fabric: IbFabric, title: str = "wlgen") -> str:
    """The topology file, in ibnetdiscover's format (ibsim reads it; so do humans).

    LIDs in the comments are file positions (ibsim wants one per port line; opensm
    assigns the real ones); every link is 4xQDR, as ibsim has no slower Ethernet rates."""
    lids = {node.nodeid: i + 1 for i, node in enumerate(fabric.nodes)}
    lines = ["#", f"# Topology file: generated by wlgen for {title}", "#", ""]
    for node in fabric.nodes:
        lines += _render_node(fabric, node, lids) + [""]
    return "\n".join(lines)


def _render_node(fabric: IbFabric, node: IbNode, lids: Mapping[str, int]) -> list[str]:
    switch = node.kind == "Switch"
    own = f"({node.guid:x})" if switch else ""
    lid = lids[node.nodeid]
    out = ["vendid=0x2c9", f"devid=0x{_DEVID[node.kind]:x}",
           f"sysimgguid=0x{node.guid:016x}",
           f"{'switchguid' if switch else 'caguid'}=0x{node.guid:016x}{own}",
           f'{node.kind}\t{len(node.links)} "{node.nodeid}"\t\t# "{node.desc}"'
           + (f" base port 0 lid {lid} lmc 0" if switch else "")]
    for port, remote in node.links:
        peer = fabric.node(remote.nodeid)
        peer_guid = f"({peer.port_guid(remote.port):x})" if peer.kind == "Ca" else ""
        local = "" if switch else f"({node.port_guid(port):x})"
        mine = "" if switch else f" lid {lid} lmc 0"
        out.append(f'[{port}]{local}\t"{remote.nodeid}"[{remote.port}]{peer_guid}'
                   f'\t\t#{mine} "{peer.desc}" lid {lids[remote.nodeid]} 4xQDR')
    return out


def _set(end: IbPort, xmit_words: int, rcv_words: int, xmit_pkts: int,
         rcv_pkts: int) -> list[str]:
    values = {"PortXmitData": xmit_words, "PortRcvData": rcv_words,
              "PortXmitPkts": xmit_pkts, "PortRcvPkts": rcv_pkts}
    out = []
    for attribute, top in (("PortCounters", _MAX32), ("PortCountersExtended", _MAX64)):
        for field, value in values.items():
            out.append(f'PerformanceSet "{end.nodeid}"[{end.port}] '
                       f"{attribute}.{field}={min(max(value, 0), top)}")
    return out


def counter_commands(fabric: IbFabric, ports: Iterable[PortCounters]) -> list[str]:
    """PerformanceSet lines that give both ends of each port ``ports``' counters."""
    out: list[str] = []
    for p in ports:
        if p.port not in fabric.ends:
            continue
        ib = p.ib()
        near, far = fabric.ends[p.port]
        xd, rd, xp, rp = (ib[k] for k in ("PortXmitData", "PortRcvData", "PortXmitPkts",
                                          "PortRcvPkts"))
        out += _set(near, xd, rd, xp, rp) + _set(far, rd, xd, rp, xp)
    return out


def link_commands(fabric: IbFabric, down: Iterable[str], was_down: Iterable[str]) -> list[str]:
    """Unlink the HCAs of nodes newly ``down``, ReLink those back up (cluster node names)."""
    now, before = set(down), set(was_down)
    return ([f'Unlink "{fabric.hcas[n]}"' for n in fabric.hcas if n in now - before]
            + [f'ReLink "{fabric.hcas[n]}"' for n in fabric.hcas if n in before - now])

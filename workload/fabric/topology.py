"""The fabric as a pure model: which links exist, how fast they are, what they carry.

How a fabric is modelled on one container bridge (every node is on the same bridge, so
"switches" exist only as shaping rules):

* **Node port** (node <-> its switch), full duplex at ``rate``: an htb class on the node's
  ``eth0`` (node -> switch) and one on the host end of its veth (switch -> node).
* **Flat**: one switch, non-blocking: only the node ports are shaped.
* **Fat tree** (two levels): nodes n1..nN fill leaf switches of ``leaf_size`` in order;
  each leaf has one uplink to the spine of ``leaf_size * rate / oversubscription`` per
  direction. A node's traffic to a node under another leaf is redirected (tc u32 filter
  by destination address, mirred) into its leaf's *up* ifb device, whose htb class is
  shared by every node of the leaf; traffic arriving from another leaf is redirected
  (by source address) into the destination leaf's *down* ifb. Traffic inside a leaf
  never touches the uplink. The spine itself is non-blocking.

Limits: no latency, jitter or loss emulation (this kernel has no netem: latency is the
veth's ~12 us), bandwidth and queue sizes only; htb is accurate from 10 Mbit/s to
~1 Gbit/s; service containers (ctld, db, rest) are off the fabric (unshaped), while a
node's Slurm traffic shares its port with MPI traffic, as on a single-rail cluster.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from workload.errors import InputError

KINDS = ("flat", "fattree")
MIN_RATE, MAX_RATE = 1_000_000, 10_000_000_000  # htb is accurate only up to ~1 Gbit/s
_UNITS = {"": 1, "bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?bit)?\s*$", re.IGNORECASE)
_SIZE = re.compile(r"^\s*(\d+)\s*([km]?b?)\s*$", re.IGNORECASE)


def parse_rate(text: str, field: str = "rate") -> int:
    """``"1gbit"``, ``"100mbit"``, ``"500kbit"`` -> bits/s (tc's spelling of rates)."""
    found = _RATE.match(str(text))
    if not found:
        raise InputError("expected a rate like 100mbit or 1gbit", field=field, value=text)
    bps = int(float(found.group(1)) * _UNITS[(found.group(2) or "").lower()])
    if not MIN_RATE <= bps <= MAX_RATE:
        raise InputError("must be between 1mbit and 10gbit", field=field, value=text)
    return bps


def parse_size(text: str, field: str = "queue") -> int:
    """``"512kb"``, ``"1mb"``, ``"262144"`` -> bytes."""
    found = _SIZE.match(str(text))
    if not found:
        raise InputError("expected a size like 512kb or 1mb", field=field, value=text)
    scale = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1 << 20, "mb": 1 << 20}
    return int(found.group(1)) * scale[found.group(2).lower()]


def format_rate(bps: int) -> str:
    """bits/s -> the shortest exact tc rate ("1gbit", "250mbit", "1500kbit")."""
    for unit in ("gbit", "mbit", "kbit"):
        if bps % _UNITS[unit] == 0:
            return f"{bps // _UNITS[unit]}{unit}"
    return f"{bps}bit"


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf switch: its index, its nodes, and the rate of its uplink per direction."""

    index: int
    nodes: tuple[str, ...]
    uplink_bps: int

    @property
    def name(self) -> str:
        return f"leaf{self.index}"


@dataclass(frozen=True, slots=True)
class Topology:
    """What to build: node -> address, the node port rate, and the leaves (fat tree)."""

    kind: str
    addresses: Mapping[str, str]  # node name -> fabric address, in node order
    rate_bps: int
    leaves: tuple[Leaf, ...] = ()
    queue_bytes: int = 512 * 1024

    @property
    def nodes(self) -> list[str]:
        return list(self.addresses)

    def leaf_of(self, node: str) -> Leaf | None:
        return next((leaf for leaf in self.leaves if node in leaf.nodes), None)

    def remote_nodes(self, node: str) -> list[str]:
        """Nodes whose traffic with ``node`` crosses the spine (under another leaf)."""
        own = self.leaf_of(node)
        if own is None:
            return []
        return [n for n in self.nodes if n not in own.nodes]

    def to_dict(self) -> dict:
        return {"kind": self.kind, "addresses": dict(self.addresses),
                "rate_bps": self.rate_bps, "queue_bytes": self.queue_bytes,
                "leaves": [{"index": leaf.index, "nodes": list(leaf.nodes),
                            "uplink_bps": leaf.uplink_bps} for leaf in self.leaves]}

    @classmethod
    def from_dict(cls, data: Mapping) -> Topology:
        leaves = tuple(Leaf(d["index"], tuple(d["nodes"]), d["uplink_bps"])
                       for d in data.get("leaves", ()))
        return cls(data["kind"], dict(data["addresses"]), data["rate_bps"], leaves,
                   data.get("queue_bytes", 512 * 1024))


def build(kind: str, addresses: Mapping[str, str], rate_bps: int, *, leaf_size: int = 2,
          oversubscription: float = 1.0, queue_bytes: int = 512 * 1024) -> Topology:
    """A flat switch or a fat tree over ``addresses`` (node -> address, in node order)."""
    if kind not in KINDS:
        raise InputError(f"must be one of {', '.join(KINDS)}", field="topology", value=kind)
    if not 64 * 1024 <= queue_bytes <= 16 << 20:
        raise InputError("must be 64kb..16mb (256kb-1mb keeps TCP steady)", field="queue",
                         value=queue_bytes)
    if kind == "flat":
        return Topology(kind, dict(addresses), rate_bps, (), queue_bytes)
    nodes = list(addresses)
    if not 1 <= leaf_size < len(nodes):
        raise InputError(f"must be 1..{len(nodes) - 1} so that there are two leaves or more",
                         field="leaf-size", value=leaf_size)
    if not oversubscription >= 1:
        raise InputError("must be >= 1 (1 is a non-blocking tree)", field="oversubscription",
                         value=oversubscription)
    uplink = int(leaf_size * rate_bps / oversubscription)
    if uplink < MIN_RATE:
        raise InputError("gives an uplink slower than 1mbit", field="oversubscription",
                         value=oversubscription)
    count = math.ceil(len(nodes) / leaf_size)
    leaves = tuple(Leaf(i, tuple(nodes[i * leaf_size:(i + 1) * leaf_size]), uplink)
                   for i in range(count))
    return Topology(kind, dict(addresses), rate_bps, leaves, queue_bytes)

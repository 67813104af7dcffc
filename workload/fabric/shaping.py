"""Pure builders of the commands that shape a topology: argv lists, never shell strings.

Each :class:`Step` says where it runs: in a node's network namespace (``node`` set, run
through ``nsenter -t PID -n``) or in the host's, where the bridge, the host ends of the
veths and the leaves' ifb devices live. Steps with ``check=False`` undo state that may not
exist yet (deleting a qdisc that was never added fails, and that is fine).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from workload.fabric.topology import Leaf, Topology, format_rate

NODE_DEV = "eth0"   # the node's end of its veth, inside its container
LINK_CLASS = "1:10"
# u32 shares its hash tables between filters of the same prio on one qdisc, and clsact's
# two hooks are one qdisc: equal prios would put every filter on both hooks.
_PRIO = {"ingress": "10", "egress": "20"}


@dataclass(frozen=True, slots=True)
class Step:
    argv: tuple[str, ...]
    node: str | None = None   # run in this node's network namespace; None: the host's
    check: bool = True


def ifb_name(prefix: str, leaf: Leaf, direction: str) -> str:
    """The ifb device of a leaf uplink direction ("up": to the spine, "down": from it)."""
    return f"{prefix}{direction[0]}{leaf.index}"   # e.g. wf41u0; ifnames are <= 15 chars


def burst_bytes(rate_bps: int) -> int:
    """htb bucket: 1 ms at the rate, at least 16 KB. tc's own default (rate/HZ with a
    1 GHz psched clock) is one MTU, which starves htb above a few hundred Mbit/s."""
    return max(16 * 1024, rate_bps // 8 // 1000)


def htb(dev: str, rate_bps: int, queue_bytes: int, node: str | None = None) -> list[Step]:
    """One htb class at ``rate_bps`` that takes every packet, over a byte-limited fifo."""
    rate, burst = format_rate(rate_bps), str(burst_bytes(rate_bps))
    argvs = [
        ("tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "10"),
        ("tc", "class", "add", "dev", dev, "parent", "1:", "classid", LINK_CLASS, "htb",
         "rate", rate, "ceil", rate, "burst", burst, "cburst", burst),
        ("tc", "qdisc", "add", "dev", dev, "parent", LINK_CLASS, "handle", "10:", "bfifo",
         "limit", str(queue_bytes)),
    ]
    return [Step(argv, node) for argv in argvs]


def offloads(dev: str, on: bool, node: str | None = None) -> Step:
    """TSO/GSO off: shaping and packet counters then see wire-sized packets."""
    state = "on" if on else "off"
    return Step(("ethtool", "-K", dev, "tso", state, "gso", state), node)


def redirect(dev: str, hook: str, match: str, address: str, target: str) -> Step:
    """Send packets of ``dev``'s ``hook`` (ingress/egress) whose ip ``match`` (src/dst) is
    ``address`` through ifb ``target`` (they come back to ``dev`` once shaped)."""
    return Step(("tc", "filter", "add", "dev", dev, hook, "protocol", "ip", "prio", _PRIO[hook],
                 "u32", "match", "ip", match, f"{address}/32",
                 "action", "mirred", "egress", "redirect", "dev", target))


def ifb(name: str, rate_bps: int, queue_bytes: int) -> list[Step]:
    return [Step(("ip", "link", "add", name, "type", "ifb")),
            Step(("ip", "link", "set", name, "up")), *htb(name, rate_bps, queue_bytes)]


def apply_steps(topo: Topology, veths: Mapping[str, str], ifb_prefix: str,
                offloads_off: bool = True) -> list[Step]:
    """Everything that turns an unshaped cluster into ``topo`` (run :func:`clear_steps`
    first). ``veths``: node -> host end of its veth."""
    steps: list[Step] = []
    for leaf in topo.leaves:
        for direction in ("up", "down"):
            steps += ifb(ifb_name(ifb_prefix, leaf, direction), leaf.uplink_bps,
                         topo.queue_bytes)
    for node in topo.nodes:
        steps += list(_node_steps(topo, node, veths[node], ifb_prefix, offloads_off))
    return steps


def _node_steps(topo: Topology, node: str, veth: str, ifb_prefix: str,
                offloads_off: bool) -> Iterator[Step]:
    if offloads_off:
        yield offloads(NODE_DEV, False, node)
        yield offloads(veth, False)
    yield from htb(NODE_DEV, topo.rate_bps, topo.queue_bytes, node)
    yield from htb(veth, topo.rate_bps, topo.queue_bytes)
    leaf = topo.leaf_of(node)
    remote = topo.remote_nodes(node)
    if leaf is None or not remote:
        return
    yield Step(("tc", "qdisc", "add", "dev", veth, "clsact"))
    for other in remote:
        address = topo.addresses[other]
        # From the node, to another leaf: up through the node's own leaf uplink.
        yield redirect(veth, "ingress", "dst", address, ifb_name(ifb_prefix, leaf, "up"))
        # To the node, from another leaf: down through the node's leaf downlink.
        yield redirect(veth, "egress", "src", address, ifb_name(ifb_prefix, leaf, "down"))


def clear_steps(nodes: Mapping[str, str], ifbs: list[str]) -> list[Step]:
    """Undo any shaping on ``nodes`` (node -> host veth) and remove the ``ifbs``; offloads
    are turned back on (the engine's default)."""
    steps: list[Step] = []
    for node, veth in nodes.items():
        steps += [Step(("tc", "qdisc", "del", "dev", NODE_DEV, "root"), node, check=False),
                  Step(("tc", "qdisc", "del", "dev", veth, "root"), check=False),
                  Step(("tc", "qdisc", "del", "dev", veth, "clsact"), check=False),
                  Step(offloads(NODE_DEV, True, node).argv, node, check=False),
                  Step(offloads(veth, True).argv, check=False)]
    steps += [Step(("ip", "link", "del", name), check=False) for name in ifbs]
    return steps


def ifb_names(topo: Topology, prefix: str) -> list[str]:
    return [ifb_name(prefix, leaf, d) for leaf in topo.leaves for d in ("up", "down")]

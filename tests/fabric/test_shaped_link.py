"""Traffic through shaped links: the rate htb gives, and the port counters that see it."""

from __future__ import annotations

import pytest

from workload.fabric import apply, netns
from workload.fabric.counters import delta, read_ports
from workload.fabric.stream import PAYLOAD_PER_FRAME, measure
from workload.fabric.topology import Topology

pytestmark = [pytest.mark.podman, pytest.mark.slurm, pytest.mark.slow]
# Low enough that a sender starved of CPU on a busy 2-core machine still fills the link,
# so a miss means shaping is wrong, not that the host is loaded (bench/ measures to 1 Gbit/s).
RATE = 60_000_000


def shaped(cluster, kind: str, **shape) -> tuple[Topology, dict, dict]:
    topo = apply.topology_for(cluster, kind, RATE, **shape)
    record = apply.apply(cluster, topo)
    pids = {node: netns.node_pid(cluster, node) for node in topo.nodes}
    return topo, record, pids


def stream_with_counters(cluster, topo, record, pids, src: str, dst: str):
    before = read_ports(topo, pids, record["ifb_prefix"])
    result = measure(cluster, src, dst, seconds=3)
    after = read_ports(topo, pids, record["ifb_prefix"])
    return result, {p.port: p for p in delta(after, before)}


def test_flat_link_rate_and_counters(fab):
    topo, record, pids = shaped(fab, "flat")
    result, ports = stream_with_counters(fab, topo, record, pids, "n1", "n2")
    assert result.wire_bps == pytest.approx(RATE, rel=0.05)
    sent, got = ports["n1"], ports["n2"]
    # What n1's port sent is what n2's port received (a little Slurm chatter aside) ...
    assert got.rcv_bytes == pytest.approx(sent.xmit_bytes, rel=0.01)
    # ... and it is the stream's payload plus the headers of full frames.
    assert sent.xmit_bytes == pytest.approx(result.bytes / PAYLOAD_PER_FRAME, rel=0.03)
    # Offloads off: packets are wire-sized frames, not 64 KB segment trains.
    assert sent.xmit_bytes / sent.xmit_pkts == pytest.approx(1514, rel=0.02)
    assert sent.ib()["PortXmitData"] == sent.xmit_bytes // 4
    assert ports["n3"].rcv_bytes < 0.01 * sent.xmit_bytes   # a switch, not a hub


def test_fattree_uplink_is_the_bottleneck_across_leaves(fab):
    # leaf0 = n1, n2; leaf1 = n3. Uplink: 2 x 60 / 4 = 30 Mbit/s.
    topo, record, pids = shaped(fab, "fattree", leaf_size=2, oversubscription=4)
    inside, _ = stream_with_counters(fab, topo, record, pids, "n1", "n2")
    across, ports = stream_with_counters(fab, topo, record, pids, "n1", "n3")
    assert inside.wire_bps == pytest.approx(RATE, rel=0.05)
    assert across.wire_bps == pytest.approx(RATE / 4 * 2, rel=0.05)
    assert ports["leaf0"].xmit_bytes == pytest.approx(ports["n1"].xmit_bytes, rel=0.01)
    assert ports["leaf1"].rcv_bytes == pytest.approx(ports["n1"].xmit_bytes, rel=0.01)
    assert ports["leaf0"].rcv_bytes == pytest.approx(ports["n3"].xmit_bytes, rel=0.05)

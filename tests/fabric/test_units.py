"""Pure parts of the fabric: the topology model, the tc builders, the counter parser."""

from __future__ import annotations

import pytest

from workload.errors import InputError
from workload.fabric import shaping
from workload.fabric.counters import DevCounts, PortCounters, delta, parse_net_dev, ports
from workload.fabric.topology import Topology, build, format_rate, parse_rate, parse_size
from workload.fabric.watch import ticks

ADDR = {f"n{i}": f"10.0.0.{10 + i}" for i in range(1, 6)}
VETHS = {f"n{i}": f"veth{i}" for i in range(1, 6)}


@pytest.mark.parametrize("text,bps", [("1gbit", 10**9), ("100mbit", 10**8),
                                      ("2.5gbit", 2_500_000_000), ("1500kbit", 1_500_000),
                                      ("200MBit", 2 * 10**8)])
def test_parse_rate(text, bps):
    assert parse_rate(text) == bps


@pytest.mark.parametrize("text", ["1gbps", "fast", "-1mbit", "100kbit", "20gbit", ""])
def test_parse_rate_refuses(text):
    with pytest.raises(InputError, match="rate"):
        parse_rate(text)


def test_format_rate_round_trips():
    for bps in (10**9, 250 * 10**6, 1_500_000, 123_456_789):
        assert parse_rate(format_rate(bps)) == bps


def test_parse_size():
    assert parse_size("512kb") == 512 * 1024 and parse_size("1mb") == 1 << 20
    assert parse_size("300000") == 300000
    with pytest.raises(InputError):
        parse_size("lots")


def test_flat_has_no_leaves():
    topo = build("flat", ADDR, 10**9)
    assert topo.leaves == () and topo.remote_nodes("n1") == []


def test_fattree_fills_leaves_in_order_and_oversubscribes_the_uplink():
    topo = build("fattree", ADDR, 10**9, leaf_size=2, oversubscription=4)
    assert [leaf.nodes for leaf in topo.leaves] == [("n1", "n2"), ("n3", "n4"), ("n5",)]
    assert all(leaf.uplink_bps == 500_000_000 for leaf in topo.leaves)
    assert topo.remote_nodes("n1") == ["n3", "n4", "n5"]
    assert topo.remote_nodes("n5") == ["n1", "n2", "n3", "n4"]
    assert Topology.from_dict(topo.to_dict()) == topo


@pytest.mark.parametrize("shape,field", [({"leaf_size": 5}, "leaf-size"),
                                         ({"oversubscription": 0.5}, "oversubscription"),
                                         ({"queue_bytes": 1000}, "queue")])
def test_fattree_refuses_bad_shapes(shape, field):
    with pytest.raises(InputError, match=field):
        build("fattree", ADDR, 10**9, **shape)


def test_unknown_topology():
    with pytest.raises(InputError, match="flat, fattree"):
        build("torus", ADDR, 10**9)


def test_flat_steps_shape_both_ends_of_every_link():
    steps = shaping.apply_steps(build("flat", ADDR, 10**8), VETHS, "wf9")
    classes = [s for s in steps if s.argv[:3] == ("tc", "class", "add")]
    assert len(classes) == 2 * len(ADDR)
    inside = [s for s in classes if s.node == "n1"]
    assert inside[0].argv[4] == "eth0" and "100mbit" in inside[0].argv
    assert any(s.node is None and s.argv[4] == "veth1" for s in classes)
    assert not any("ifb" in s.argv for s in steps)
    assert all(isinstance(s.argv, tuple) and all(isinstance(a, str) for a in s.argv)
               for s in steps)


def test_offload_steps_only_when_asked():
    on = shaping.apply_steps(build("flat", ADDR, 10**8), VETHS, "wf9", offloads_off=False)
    off = shaping.apply_steps(build("flat", ADDR, 10**8), VETHS, "wf9")
    assert not any(s.argv[0] == "ethtool" for s in on)
    assert sum(s.argv[0] == "ethtool" for s in off) == 2 * len(ADDR)


def test_fattree_redirects_remote_traffic_through_the_leaf_ifbs():
    topo = build("fattree", ADDR, 10**9, leaf_size=2, oversubscription=2)
    steps = shaping.apply_steps(topo, VETHS, "wf9")
    made = [s.argv[3] for s in steps if s.argv[:3] == ("ip", "link", "add")]
    assert made == ["wf9u0", "wf9d0", "wf9u1", "wf9d1", "wf9u2", "wf9d2"]
    filters = [s.argv for s in steps if s.argv[:3] == ("tc", "filter", "add")
               and s.argv[4] == "veth1"]
    # n1 (leaf0) sees 3 remote nodes: one up and one down redirect each
    assert len(filters) == 6
    ingress = [f for f in filters if f[5] == "ingress"]
    egress = [f for f in filters if f[5] == "egress"]
    assert {f[f.index("dst") + 1] for f in ingress} == {"10.0.0.13/32", "10.0.0.14/32",
                                                        "10.0.0.15/32"}
    assert all(f[-1] == "wf9u0" for f in ingress) and all(f[-1] == "wf9d0" for f in egress)
    assert ingress[0][ingress[0].index("prio") + 1] != egress[0][egress[0].index("prio") + 1]
    assert not any(s.argv[4] == "veth1" and "10.0.0.12/32" in s.argv for s in steps)


def test_burst_grows_with_rate():
    assert shaping.burst_bytes(10**7) == 16 * 1024
    assert shaping.burst_bytes(10**9) == 125_000


def test_clear_steps_tolerate_missing_state():
    steps = shaping.clear_steps({"n1": "veth1"}, ["wf9u0"])
    assert steps and not any(s.check for s in steps)
    assert steps[-1].argv == ("ip", "link", "del", "wf9u0")


NET_DEV = """Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0: 1514000    1000    0    0    0     0          0         0   66000     1000    0    0    0     0       0          0
"""  # noqa: E501 (stored real /proc/net/dev, kept verbatim)


def test_parse_net_dev():
    devs = parse_net_dev(NET_DEV)
    assert devs["eth0"] == DevCounts(1514000, 1000, 66000, 1000)
    assert set(devs) == {"lo", "eth0"}


def test_ports_in_ib_units():
    topo = build("fattree", {"n1": "a", "n2": "b"}, 10**8, leaf_size=1)
    node = DevCounts(rx_bytes=400, rx_packets=3, tx_bytes=8001, tx_packets=7)
    host = {"wf1u0": DevCounts(0, 0, 4000, 4), "wf1d0": DevCounts(0, 0, 800, 2),
            "wf1u1": DevCounts(0, 0, 0, 0), "wf1d1": DevCounts(0, 0, 0, 0)}
    got = ports(topo, {"n1": node, "n2": node}, host, "wf1")
    assert [p.port for p in got] == ["n1", "n2", "leaf0", "leaf1"]
    assert got[0].ib() == {"PortXmitData": 2000, "PortRcvData": 100, "PortXmitPkts": 7,
                           "PortRcvPkts": 3}
    assert got[2].ib()["PortXmitData"] == 1000 and got[2].ib()["PortRcvData"] == 200


def test_delta_matches_ports_by_name():
    before = [PortCounters("n1", "node", 10, 20, 1, 2)]
    after = [PortCounters("n1", "node", 110, 70, 3, 5), PortCounters("n2", "node", 5, 5, 1, 1)]
    assert delta(after, before) == [PortCounters("n1", "node", 100, 50, 2, 3), after[1]]


def test_ticks_do_not_drift():
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s + 0.3   # every sample is late by 0.3 s

    assert list(ticks(1.0, 3, clock=lambda: now[0], sleep=sleep)) == [0, 1, 2]
    assert slept[1] == pytest.approx(0.7) and slept[2] == pytest.approx(0.7)

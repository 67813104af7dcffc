"""The fabric layer: port counters and rates from stored real ``/proc/<pid>/net/dev``
reads (tests/cluster/data/fabric), and the background collector of a real cluster with
monitoring publishing an applied fabric's traffic with no `fabric watch` running."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clusters import per_run_name, session_cluster
from workload.cluster import Cluster, ClusterSpec, wait_for
from workload.cluster.collect.fabric import FabricLayer, port_metrics
from workload.fabric.counters import PortCounters, node_port, parse_net_dev

DATA = Path(__file__).parent / "data" / "fabric"
NAME = per_run_name("wlgen-colfab")


def n1(file: str) -> PortCounters:
    return node_port("n1", parse_net_dev((DATA / file).read_text())["eth0"])


def test_counters_and_rates_per_port():
    before, after = n1("n1_before.net_dev"), n1("n1_after.net_dev")
    got = port_metrics({"n1": before}, [after], seconds=4.0)
    assert {k: got[f"fabric.n1.{k}"] for k in ("tx_bytes", "rx_bytes", "tx_packets",
                                               "rx_packets")} == \
        {"tx_bytes": 23368691, "rx_bytes": 530029, "tx_packets": 15460, "rx_packets": 8013}
    assert got["fabric.n1.tx_bytes_per_s"] == (23368691 - 2023) / 4
    assert got["fabric.n1.rx_bytes_per_s"] == (530029 - 5601) / 4
    assert got["fabric.n1.tx_packets_per_s"] == (15460 - 22) / 4
    assert got["fabric.n1.rx_packets_per_s"] == (8013 - 67) / 4
    assert len(got) == 8


def test_a_first_read_or_a_restarted_counter_has_totals_and_no_rate():
    before, after = n1("n1_before.net_dev"), n1("n1_after.net_dev")
    first = port_metrics({}, [after], seconds=0.0)
    assert sorted(first) == [f"fabric.n1.{k}" for k in ("rx_bytes", "rx_packets",
                                                        "tx_bytes", "tx_packets")]
    # The node's container restarted between reads: a new veth counts from 0 again.
    restarted = port_metrics({"n1": after}, [before], seconds=5.0)
    assert restarted == {k: v for k, v in port_metrics({}, [before], 0).items()}


# -- against a real cluster --------------------------------------------------------------
RATE = 60_000_000          # low enough that a starved sender still fills it (test_shaped_link)
submitted: list[str] = []


@pytest.fixture(scope="module")
def fabbed() -> Iterator[Cluster]:
    from workload.testing.require import require
    require("cluster", "fabric")
    from workload.fabric import apply

    with session_cluster(ClusterSpec(name=NAME, nodes=2, cpus=2, mem_mb=512,
                                     monitoring=True), submitted,
                         before_down=apply.clear) as cluster:
        yield cluster


def render(cluster: Cluster, *targets: str) -> dict[str, list[tuple[int, float]]]:
    query = urllib.parse.urlencode([("target", f"wlgen.cluster.{NAME}.{t}") for t in targets]
                                   + [("from", "-5min"), ("format", "json")])
    with urllib.request.urlopen(f"{cluster.monitoring.graphite_web}/render?{query}",
                                timeout=30) as answer:
        series = json.load(answer)
    return {s["target"].removeprefix(f"wlgen.cluster.{NAME}."):
            [(t, v) for v, t in s["datapoints"] if v is not None] for s in series}


@pytest.mark.podman
@pytest.mark.root
@pytest.mark.slow
def test_the_background_collector_publishes_an_applied_fabric(fabbed: Cluster) -> None:
    """Apply, stream n1 -> n2 for 15 s, and read the rates back from graphite-web:
    n1 sent what n2 received at the link's rate, on the collector's 5 s clock."""
    from workload.fabric import apply
    from workload.fabric.stream import measure

    apply.apply(fabbed, apply.topology_for(fabbed, "flat", RATE))
    rates = ("fabric.n1.tx_bytes_per_s", "fabric.n2.rx_bytes_per_s")
    # Two reads after the apply give the first rates: the quiet link before the stream.
    wait_for(lambda: all(render(fabbed, *rates).get(r) for r in rates), 60,
             "the fabric's first rates in graphite", interval=1.0)
    stream = measure(fabbed, "n1", "n2", seconds=15)

    def after_stream() -> dict[str, list[tuple[int, float]]] | bool:
        got = render(fabbed, *rates, "fabric.n1.tx_bytes", "node.n1.cpu_percent")
        return len(got.get(rates[0], [])) >= 6 and got   # 30 s of points: the whole stream
    got = wait_for(after_stream, 90, "the stream's rates in graphite", interval=2.0)
    sent, received = dict(got[rates[0]]), dict(got[rates[1]])

    link = RATE / 8                               # bytes/s of Ethernet frames
    assert min(sent.values()) < 0.01 * link       # the quiet link: Slurm's chatter only
    peak = max(sent, key=sent.__getitem__)
    assert 0.5 * link < sent[peak] <= 1.03 * link, (sent, stream)
    assert received[peak] == pytest.approx(sent[peak], rel=0.03)   # one switch, one clock
    totals = [v for _, v in got["fabric.n1.tx_bytes"]]
    assert totals == sorted(totals) and totals[-1] - totals[0] > stream.bytes
    # The fabric's points fall on the same slots as the other layers'.
    assert set(sent) <= {t for t, _ in got["node.n1.cpu_percent"]}


@pytest.mark.podman
@pytest.mark.root
def test_no_fabric_no_fabric_metrics(fabbed: Cluster) -> None:
    from workload.fabric import apply

    apply.clear(fabbed)
    assert FabricLayer(fabbed).read() == {}
    apply.apply(fabbed, apply.topology_for(fabbed, "fattree", RATE, leaf_size=1))
    layer = FabricLayer(fabbed)
    first, second = layer.read(), layer.read()
    ports = ("n1", "n2", "leaf0", "leaf1")
    assert sorted(first) == sorted(f"fabric.{p}.{k}" for p in ports for k in
                                   ("tx_bytes", "rx_bytes", "tx_packets", "rx_packets"))
    assert set(second) - set(first) == {f"fabric.{p}.{k}_per_s" for p in ports for k in
                                        ("tx_bytes", "rx_bytes", "tx_packets", "rx_packets")}

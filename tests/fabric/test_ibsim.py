"""The InfiniBand view of the fabric: the topology file (pure), ibsim + opensm driven from
a fabric description and given counters (no containers), and the view of a real
2-node cluster (its own, brought down by the last test, which also checks that
`wlgen cluster down` leaves no ifb device behind).

The simulator tests skip when ibsim, opensm, infiniband-diags or libumad2sim are missing
(.ci/setup.d/45-fabric.sh installs them); each runs its own simulator under a unique
socket name, stopped at teardown.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest

from workload.cluster import ClusterSpec, down, wait_for
from workload.fabric import apply, faults, ibcluster, ibnet
from workload.fabric.counters import PortCounters, read_ports
from workload.fabric.ibsim import Sim, run_tool
from workload.testing.require import require
from workload.fabric.netns import node_pid
from workload.fabric.topology import Topology, build

from tests.clusters import per_run_name, session_cluster

ADDRS = {f"n{i}": f"10.0.0.{i}" for i in range(1, 6)}
_serial = count()


def fattree(nodes: int = 5, leaf_size: int = 2):
    return build("fattree", dict(list(ADDRS.items())[:nodes]), 10**9, leaf_size=leaf_size)


def flat(nodes: int = 3):
    return build("flat", dict(list(ADDRS.items())[:nodes]), 10**9)


# --- the topology file (pure) -------------------------------------------------------------

def headers(text: str) -> list[tuple[str, int, str]]:
    return [(m[1], int(m[2]), m[3]) for m in
            re.finditer(r'^(Switch|Ca)\t(\d+) "([^"]+)"', text, re.MULTILINE)]


def test_flat_is_one_switch_with_a_port_per_node() -> None:
    text = ibnet.render(ibnet.build(flat(3), "c"))
    assert [(k, n) for k, n, _ in headers(text)] == [("Switch", 3), ("Ca", 1), ("Ca", 1),
                                                     ("Ca", 1)]
    assert '# "n2 HCA-1"' in text and '"c switch"' in text


def test_fat_tree_has_a_spine_first_then_leaves_with_uplinks_last() -> None:
    fabric = ibnet.build(fattree(5, 2), "c")
    kinds = [(k, n) for k, n, _ in headers(ibnet.render(fabric))]
    # spine (3 leaves), leaf0 and leaf1 (2 nodes + uplink), leaf2 (1 + uplink), 5 HCAs
    assert kinds == [("Switch", 3), ("Switch", 3), ("Switch", 3), ("Switch", 2)] + [("Ca", 1)] * 5
    spine, leaf2 = fabric.nodes[0], fabric.nodes[3]
    assert fabric.root == spine.nodeid and spine.desc == "c spine"
    assert fabric.ends["leaf2"] == (ibnet.IbPort(leaf2.nodeid, 2), ibnet.IbPort(spine.nodeid, 3))
    assert fabric.ends["n5"][1] == ibnet.IbPort(leaf2.nodeid, 1)


def test_every_cable_is_written_from_both_ends() -> None:
    text = ibnet.render(ibnet.build(fattree(4, 2)))
    cables = set()
    node = None
    for line in text.splitlines():
        if m := re.match(r'^(?:Switch|Ca)\t\d+ "([^"]+)"', line):
            node = m[1]
        elif m := re.match(r'^\[(\d+)\](?:\([0-9a-f]+\))?\t"([^"]+)"\[(\d+)\]', line):
            cables.add(((node, int(m[1])), (m[2], int(m[3]))))
    assert cables and all((b, a) in cables for a, b in cables)
    assert len(cables) == 2 * (4 + 2)     # 4 node cables, 2 uplinks


def test_guids_are_deterministic_and_unique() -> None:
    one, two = ibnet.build(fattree(), "a"), ibnet.build(fattree(), "b")
    assert [n.guid for n in one.nodes] == [n.guid for n in two.nodes]
    guids = [n.guid for n in one.nodes] + [n.port_guid(1) for n in one.nodes if n.kind == "Ca"]
    assert len(set(guids)) == len(guids)
    hca = one.node(one.hcas["n1"])
    assert hca.nodeid == f"H-{hca.guid:016x}" and hca.port_guid(1) == hca.guid + 1


def test_counter_commands_set_both_ends_swapped_and_saturate_32_bits() -> None:
    fabric = ibnet.build(flat(2))
    big = (1 << 32) * 4 + 400                       # bytes beyond a 32-bit word counter
    lines = ibnet.counter_commands(fabric, [PortCounters("n1", "node", big, 800, 3, 7)])
    hca, sw = fabric.ends["n1"]
    assert f'PerformanceSet "{hca.nodeid}"[1] PortCounters.PortXmitData={(1 << 32) - 1}' in lines
    assert (f'PerformanceSet "{hca.nodeid}"[1] PortCountersExtended.PortXmitData='
            f'{big // 4}') in lines
    assert f'PerformanceSet "{sw.nodeid}"[{sw.port}] PortCounters.PortRcvPkts=3' in lines
    assert f'PerformanceSet "{sw.nodeid}"[{sw.port}] PortCounters.PortXmitData=200' in lines
    assert len(lines) == 2 * 2 * 4 and all(len(line) < 127 for line in lines)  # console limit
    assert ibnet.counter_commands(fabric, [PortCounters("zz", "node", 1, 1, 1, 1)]) == []


def test_link_commands_unlink_new_faults_and_relink_repairs() -> None:
    fabric = ibnet.build(flat(3))
    h2, h3 = fabric.hcas["n2"], fabric.hcas["n3"]
    assert ibnet.link_commands(fabric, {"n2"}, set()) == [f'Unlink "{h2}"']
    assert ibnet.link_commands(fabric, {"n2"}, {"n2"}) == []
    assert ibnet.link_commands(fabric, {"n3"}, {"n2"}) == [f'Unlink "{h3}"', f'ReLink "{h2}"']


# --- the simulator, from a description (no containers) ------------------------------------

@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Sim]:
    require("ibsim")
    fabric = ibnet.build(fattree(3, 2), "t")
    with Sim(fabric, tmp_path / "ib", f"wlgen-test-{os.getpid()}-{next(_serial)}") as s:
        yield s.start("test")


def counters_of(text: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(\w+):\.+(\d+)$", text, re.MULTILINE)}


def test_ibnetdiscover_sees_every_switch_and_hca(sim: Sim) -> None:
    found = headers(sim.tool(["ibnetdiscover"]))
    assert sorted(k for k, _, _ in found) == ["Ca"] * 3 + ["Switch"] * 3
    assert {nodeid for _, _, nodeid in found} == {n.nodeid for n in sim.fabric.nodes}
    assert "Switch type: simulator" in sim.tool(["ibstat"])


def test_perfquery_reads_back_the_mirrored_counters(sim: Sim) -> None:
    sent = [PortCounters("n1", "node", 4_000_000, 8_000_000, 5_000, 9_000),
            PortCounters("leaf0", "uplink", 40_000, 80_000, 100, 200)]
    sim.send(ibnet.counter_commands(sim.fabric, sent))
    hca = sim.fabric.node(sim.fabric.hcas["n1"])
    got = counters_of(sim.tool(["perfquery", "-x", "-G", hex(hca.port_guid(1)), "1"]))
    # ibsim adds the management packets since the set (a few MADs of 64 words each)
    assert 1_000_000 <= got["PortXmitData"] < 1_000_000 + 1024
    assert 2_000_000 <= got["PortRcvData"] < 2_000_000 + 1024
    assert 5_000 <= got["PortXmitPkts"] < 5_016 and 9_000 <= got["PortRcvPkts"] < 9_016
    leaf0, port = sim.fabric.ends["leaf0"][1].nodeid, sim.fabric.ends["leaf0"][1].port
    spine_guid = hex(sim.fabric.node(leaf0).guid)
    spine = counters_of(sim.tool(["perfquery", "-G", spine_guid, str(port)]))
    assert 20_000 <= spine["PortXmitData"] < 20_000 + 1024   # the spine sends what leaf0 gets
    assert 10_000 <= spine["PortRcvData"] < 10_000 + 1024


def test_an_unlinked_node_is_reported_down_and_back_after_relink(sim: Sim) -> None:
    sw = sim.fabric.ends["n2"][1]
    sim.send(ibnet.link_commands(sim.fabric, {"n2"}, set()))
    assert "n2 HCA-1" not in sim.tool(["ibnetdiscover"])
    port_line = next(line for line in sim.tool(["iblinkinfo"]).splitlines()
                     if re.match(rf"\s+\d+\s+{sw.port}\[", line) and "Down" in line)
    assert "Polling" in port_line
    sim.send(ibnet.link_commands(sim.fabric, set(), {"n2"}))
    wait_for(lambda: "n2 HCA-1" in sim.tool(["ibnetdiscover"]), 30,
             "opensm to bring n2's port back", interval=0.5)


def test_stop_ends_both_processes(tmp_path: Path) -> None:
    require("ibsim")
    s = Sim(ibnet.build(flat(2)), tmp_path / "ib", f"wlgen-test-{os.getpid()}-stop")
    s.start()
    processes = [s.ibsim, s.opensm]
    s.stop()
    assert all(p is not None and p.poll() is not None for p in processes)


# --- a real cluster ----------------------------------------------------------------------

CLUSTER = per_run_name("wlgen-ibtest")
SEND = ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for _ in range(200): s.sendto(b'x' * 1000, ('n2', 9))")


@pytest.fixture(scope="module")
def ibcluster_fab():
    require("cluster", "fabric")
    require("ibsim")
    with session_cluster(ClusterSpec(name=CLUSTER, nodes=2, cpus=1, mem_mb=512), [],
                         before_down=ibcluster.stop) as cluster:
        yield cluster


def ON_CLUSTER(test):   # a decorator: the marks of a test on the real cluster
    return pytest.mark.podman(pytest.mark.slurm(pytest.mark.slow(test)))


def fat_tree(cluster) -> None:
    """Each of the 2 nodes under its own leaf: 2 HCAs, 3 switches, 4 ifb devices."""
    apply.apply(cluster, apply.topology_for(cluster, "fattree", 100 * 10**6, leaf_size=1))


@ON_CLUSTER
def test_cluster_view_mirrors_links_and_unplugs(ibcluster_fab) -> None:
    cluster = ibcluster_fab
    fat_tree(cluster)
    ibcluster.start(cluster, interval_s=0.5)
    try:
        info = ibcluster.status(cluster)
        assert info["running"] and set(info["pids"]) == {ibcluster.MODULE, "ibsim", "opensm"}
        sock = info["env"]["IBSIM_SOCKNAME"]
        assert len(headers(run_tool(sock, ["ibnetdiscover"]))) == 2 + 3   # 2 HCAs, 3 switches
        guid = info["ports"]["n1"]["port_guid"]
        cluster.exec("n1", ["python3", "-c", SEND], check=True)   # ~200 KB to n2
        record = apply.load(cluster)
        topo = Topology.from_dict(record["topology"])

        def mirrored() -> int:
            text = run_tool(sock, ["perfquery", "-x", "-G", guid, "1"])
            return counters_of(text)["PortXmitData"]

        wait_for(lambda: mirrored() > 200 * 1000 // 4, 10, "the mirror to carry the bytes",
                 interval=0.5)
        wire = next(p for p in read_ports(topo, {"n1": node_pid(cluster, "n1")},
                                          record["ifb_prefix"]) if p.port == "n1")
        # idle between the two reads but for Slurm's pings and the perfquery MADs
        assert abs(mirrored() - wire.ib()["PortXmitData"]) < 1024
        faults.link(cluster, "n2", up=False)
        try:
            wait_for(lambda: "n2 HCA-1" not in run_tool(sock, ["ibnetdiscover"]), 15,
                     "the IB view to unlink n2", interval=0.5)
        finally:
            faults.link(cluster, "n2", up=True)
        wait_for(lambda: "n2 HCA-1" in run_tool(sock, ["ibnetdiscover"]), 30,
                 "the IB view to relink n2", interval=0.5)
    finally:
        assert ibcluster.stop(cluster)
    assert not ibcluster.is_running(cluster)


def ifb_devices(prefix: str) -> list[str]:
    links = json.loads(subprocess.run(["ip", "-j", "link", "show", "type", "ifb"],
                                      capture_output=True, text=True, check=True).stdout)
    return [link["ifname"] for link in links if link["ifname"].startswith(prefix)]


@ON_CLUSTER
def test_cluster_down_removes_the_fat_trees_ifbs_and_ib_view(ibcluster_fab) -> None:
    cluster = ibcluster_fab
    fat_tree(cluster)
    prefix = apply.ifb_prefix(cluster)
    assert len(ifb_devices(prefix)) == 4      # up and down for each of the 2 leaves
    state = ibcluster.start(cluster, interval_s=1.0)
    assert down(CLUSTER)
    assert ifb_devices(prefix) == []
    for key, marker in (("daemon", ibcluster.MODULE), ("ibsim", "ibsim"), ("opensm", "opensm")):
        assert not ibcluster.is_ours(state[key], marker)

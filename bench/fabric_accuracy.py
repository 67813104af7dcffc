"""How exact the simulated fabric is (issue 4, point 5): prints figures, asserts nothing.

On a running container cluster of >= 3 nodes (default name "fab"; it is reshaped, and
left with a flat 1 Gbit/s fabric):

1. shaped link rate vs configured, 50 Mbit/s .. 1 Gbit/s: a 3 s TCP stream n1 -> n2
   (python sockets in the containers); "wire" is the receiver's goodput plus the headers
   of full frames, "port" is n1's PortXmitData (x4 bytes) over the same window;
2. TSO/GSO on vs off at 200 Mbit/s: rate and mean frame size the counters see;
3. a fat tree (leaf-size 2, oversubscription 4): n1 -> n2 inside a leaf, n1 -> n3 across;
4. intended vs on-wire bytes: the pingpong and alltoall kernels under
   `srun --mpi=pmix` on n1+n2, bytes_sent against the bytes both ports transmitted;
5. kernel runtime and cpu duty under srun in the cluster (the companion of
   bench/kernel_accuracy.py, which runs the kernels locally).

    wlgen cluster up --nodes 4 --cpus 4 --name fab
    python3 bench/fabric_accuracy.py [CLUSTER]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from workload.cluster import Cluster  # noqa: E402
from workload.fabric import apply, netns  # noqa: E402
from workload.fabric.counters import delta, read_ports  # noqa: E402
from workload.fabric.stream import PAYLOAD_PER_FRAME, measure  # noqa: E402

RATES = (50, 100, 200, 500, 1000)   # Mbit/s


class Fabric:
    """A shaped cluster and its port counters."""

    def __init__(self, cluster: Cluster, kind: str, rate_mbit: int, offloads_off: bool = True,
                 **shape) -> None:
        self.cluster = cluster
        self.topo = apply.topology_for(cluster, kind, rate_mbit * 10**6, **shape)
        self.record = apply.apply(cluster, self.topo, offloads_off=offloads_off)
        self.pids = {n: netns.node_pid(cluster, n) for n in self.topo.nodes}

    def ports(self):
        return read_ports(self.topo, self.pids, self.record["ifb_prefix"])

    def stream(self, src: str, dst: str, seconds: float = 3.0):
        before = self.ports()
        result = measure(self.cluster, src, dst, seconds)
        return result, {p.port: p for p in delta(self.ports(), before)}


def rates(cluster: Cluster) -> None:
    print("1. shaped rate vs configured (n1 -> n2, 3 s TCP stream, offloads off)")
    print(f"   {'set Mbit/s':>10} {'goodput':>9} {'wire':>9} {'port':>9} {'error':>7}")
    for mbit in RATES:
        fab = Fabric(cluster, "flat", mbit)
        result, ports = fab.stream("n1", "n2")
        port_bps = 8 * ports["n1"].ib()["PortXmitData"] * 4 / result.seconds
        print(f"   {mbit:>10} {result.goodput_bps / 1e6:>9.1f} {result.wire_bps / 1e6:>9.1f} "
              f"{port_bps / 1e6:>9.1f} {100 * (result.wire_bps / (mbit * 1e6) - 1):>+6.1f}%")


def offloads(cluster: Cluster) -> None:
    print("2. TSO/GSO at 200 Mbit/s: what shaping and the packet counters see")
    for off in (False, True):
        fab = Fabric(cluster, "flat", 200, offloads_off=off)
        result, ports = fab.stream("n1", "n2")
        n1 = ports["n1"]
        print(f"   offloads {'off' if off else 'on '}: wire {result.wire_bps / 1e6:6.1f} "
              f"Mbit/s, mean frame {n1.xmit_bytes / max(1, n1.xmit_pkts):7.0f} B, "
              f"{n1.xmit_pkts} packets")


def fattree(cluster: Cluster) -> None:
    print("3. fat tree at 200 Mbit/s, leaf-size 2, oversubscription 4 (uplink 100 Mbit/s)")
    fab = Fabric(cluster, "fattree", 200, leaf_size=2, oversubscription=4)
    for src, dst in (("n1", "n2"), ("n1", "n3")):
        result, ports = fab.stream(src, dst)
        up = ports["leaf0"].xmit_bytes
        print(f"   {src} -> {dst}: wire {result.wire_bps / 1e6:6.1f} Mbit/s, leaf0 uplink "
              f"carried {up / 1e6:7.1f} MB of n1's {ports['n1'].xmit_bytes / 1e6:7.1f} MB")


def srun_kernel(cluster: Cluster, argv: list[str], nodes: str, ranks: int) -> dict:
    out = cluster.slurm(["srun", "--mpi=pmix", "-w", nodes, "-N", str(nodes.count(",") + 1),
                         "-n", str(ranks), "-t", "2", "python3", "-m", "jobs", *argv],
                        timeout=180)
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])


def wire_bytes(cluster: Cluster) -> None:
    print("4. intended vs on-wire bytes, 2 ranks on n1+n2, flat 1 Gbit/s, srun --mpi=pmix")
    fab = Fabric(cluster, "flat", 1000)
    for kernel, size in (("pingpong", 1 << 20), ("alltoall", 1 << 18), ("pingpong", 4096)):
        before = fab.ports()
        record = srun_kernel(cluster, [kernel, "--seconds", "3", "--size", str(size)],
                             "n1,n2", 2)
        ports = {p.port: p for p in delta(fab.ports(), before)}
        wire = ports["n1"].xmit_bytes + ports["n2"].xmit_bytes
        expected = record["bytes_sent"] / PAYLOAD_PER_FRAME
        print(f"   {kernel:8} size {size:>7}: bytes_sent {record['bytes_sent']:>11}, "
              f"on wire {wire:>11}, wire/(sent + full-frame headers) "
              f"{100 * (wire / expected - 1):+6.1f}%")


def kernels(cluster: Cluster) -> None:
    print("5. kernels under srun in the cluster (T = 3 s, 1 rank on n1)")
    for duty in (0.1, 0.25, 0.5, 1.0):
        record = srun_kernel(cluster, ["cpu", "--seconds", "3", "--duty", str(duty)], "n1", 1)
        print(f"   cpu duty {duty:4}: runtime {record['runtime_s']:.3f} s "
              f"({100 * (record['runtime_s'] / 3 - 1):+.2f}%), duty {record['duty']:.3f} "
              f"({100 * (record['duty'] - duty):+.1f} points), runq wait "
              f"{record.get('runq_wait_s', 0):.2f} s")
    record = srun_kernel(cluster, ["allreduce", "--seconds", "3", "--size", "65536"],
                         "n1,n2", 2)
    print(f"   allreduce 2 ranks on 2 nodes: runtime {record['runtime_s']:.3f} s "
          f"({100 * (record['runtime_s'] / 3 - 1):+.2f}%)")


def main() -> None:
    cluster = Cluster.load(sys.argv[1] if len(sys.argv) > 1 else "fab")
    began = time.monotonic()
    for part in (rates, offloads, fattree, wire_bytes, kernels):
        part(cluster)
    Fabric(cluster, "flat", 1000)
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()

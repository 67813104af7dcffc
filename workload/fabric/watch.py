"""Sample the fabric's port counters at an interval and publish them.

Where samples go: Graphite (through the project's GraphiteSink: queued, spooled while
carbon is down, never blocking the sampling) as
``wlgen.fabric.<cluster>.<port>.<PortXmitData|PortRcvData|PortXmitPkts|PortRcvPkts>``,
counters as totals (Graphite's ``perSecond()`` gives rates); or, with no Graphite,
``fabric.jsonl`` in a directory: one JSON object per port per sample.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from workload.cluster import Cluster
from workload.errors import ClusterError
from workload.fabric import apply, netns
from workload.fabric.counters import DevCounts, PortCounters, ports, read_net_dev
from workload.fabric.shaping import NODE_DEV
from workload.fabric.topology import Topology

if TYPE_CHECKING:   # imported when used: the graphite sink is needed only here
    from workload.sinks.graphite import GraphiteSink

FILE = "fabric.jsonl"


class Publisher(Protocol):
    def publish(self, when: float, ports: list[PortCounters]) -> None: ...

    def close(self) -> None: ...


class JsonlPublisher:
    """One line per port per sample: time, port, kind, the IB counters and byte counts."""

    def __init__(self, directory: Path, cluster: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / FILE
        self.cluster = cluster
        self._file = self.path.open("a", encoding="utf-8")

    def publish(self, when: float, ports: list[PortCounters]) -> None:
        for port in ports:
            row = {"time": round(when, 3), "cluster": self.cluster, **port.to_dict()}
            self._file.write(json.dumps(row) + "\n")
        self._file.flush()   # a reader (or a crash) sees whole samples

    def close(self) -> None:
        self._file.close()


class GraphitePublisher:
    """One GraphiteSink per port, so each port is a node of the metric tree."""

    def __init__(self, address: str, cluster: str, interval_s: float) -> None:
        from workload.sinks.graphite import GraphiteSink, metric_name
        self._make = lambda port: GraphiteSink(
            address, prefix=f"wlgen.fabric.{metric_name(cluster)}.{metric_name(port)}.",
            interval_s=interval_s / 2)   # half: a sample a little early is still sent
        self._sinks: dict[str, GraphiteSink] = {}
        self.cluster = cluster

    def publish(self, when: float, ports: list[PortCounters]) -> None:
        for port in ports:
            sink = self._sinks.get(port.port)
            if sink is None:
                sink = self._sinks[port.port] = self._make(port.port)
                sink.open(f"fabric-{self.cluster}")
            sink.sample(when, {k: float(v) for k, v in port.ib().items()})

    def close(self, deadline_s: float = 10.0) -> None:
        for sink in self._sinks.values():
            sink.close(deadline_s)


def ticks(interval_s: float, count: int | None = None,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[int]:
    """0, 1, 2, ... at start + k * interval (no drift); stops after ``count`` ticks."""
    start, k = clock(), 0
    while count is None or k < count:
        sleep(max(0.0, start + k * interval_s - clock()))
        yield k
        k += 1


class PortReader:
    """The ports of the fabric applied on ``cluster`` (its saved ``record``), read now.

    Shared by `fabric watch` and the cluster collector (workload/cluster/collect/
    fabric.py). A node whose container stopped is left out of that read (``missing``
    names it) and its pid looked up again on the next one, so a node restarted (a new
    pid, a new veth whose counters start at 0) comes back by itself."""

    def __init__(self, cluster: Cluster, record: dict | None = None) -> None:
        self.cluster = cluster
        self.record = apply.require(cluster) if record is None else record
        self.topo = Topology.from_dict(self.record["topology"])
        self.pids: dict[str, int] = {}
        self.missing: list[str] = []

    def read(self) -> list[PortCounters]:
        node_devs: dict[str, DevCounts] = {}
        self.missing = []
        for node in self.topo.nodes:
            try:
                if node not in self.pids:
                    self.pids[node] = netns.node_pid(self.cluster, node)
                node_devs[node] = read_net_dev(self.pids[node])[NODE_DEV]
            except (ClusterError, KeyError):   # stopped, or restarting without its eth0
                self.pids.pop(node, None)
                self.missing.append(node)
        host_devs = read_net_dev() if self.topo.leaves else {}
        return ports(self.topo, node_devs, host_devs, self.record["ifb_prefix"])


def watch(cluster: Cluster, publisher: Publisher, interval_s: float = 1.0,
          count: int | None = None) -> int:
    """Sample every ``interval_s`` until ``count`` samples (or Ctrl-C); returns samples."""
    reader = PortReader(cluster)
    done = 0
    try:
        for _ in ticks(interval_s, count):
            ports_now = reader.read()
            if reader.missing:   # as before: a stopped node ends the watch, said
                raise ClusterError(f"node {', '.join(reader.missing)} of cluster "
                                   f"{cluster.name} is not running")
            publisher.publish(time.time(), ports_now)
            done += 1
    except KeyboardInterrupt:
        pass
    finally:
        publisher.close()
    return done

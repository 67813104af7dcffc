"""The fabric layer: the applied fabric's port counters, and their rates, each interval.

When `wlgen fabric apply` has shaped the cluster (its record in the state dir), every
sample reads each port's counters the way `wlgen fabric watch` does (one
``/proc/<pid>/net/dev`` per node, the host's for a fat tree's uplinks; through
:class:`workload.fabric.watch.PortReader`) and publishes, per port (a node ``n1`` or a
leaf uplink ``leaf0``)::

    fabric.<port>.tx_bytes  rx_bytes  tx_packets  rx_packets           totals (counters)
    fabric.<port>.tx_bytes_per_s  rx_bytes_per_s  tx_packets_per_s  rx_packets_per_s

Bytes are what the port sent and received (Ethernet frames, see fabric/counters.py);
a rate is the difference to the previous read over the time between the two reads, so it
needs two reads: the first sample after an apply (or after a node's counters restart
with its container) has totals only. No fabric applied: no fabric metrics (not zeros).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from workload.cluster.cluster import Cluster
from workload.fabric import apply
from workload.fabric.counters import PortCounters
from workload.fabric.watch import PortReader

FIELDS = {"tx_bytes": "xmit_bytes", "rx_bytes": "rcv_bytes", "tx_packets": "xmit_pkts",
          "rx_packets": "rcv_pkts"}


def port_metrics(before: Mapping[str, PortCounters], after: list[PortCounters],
                 seconds: float) -> dict[str, float]:
    """``fabric.<port>.<counter>`` for every port of ``after`` and, where ``before``
    has the port and no counter went backwards (a recreated veth), its ``_per_s``."""
    from workload.sinks.graphite import metric_name
    out: dict[str, float] = {}
    for port in after:
        name = f"fabric.{metric_name(port.port)}."
        now = {k: getattr(port, attr) for k, attr in FIELDS.items()}
        out.update({name + k: float(v) for k, v in now.items()})
        old = before.get(port.port)
        if old is None or seconds <= 0:
            continue
        then = {k: getattr(old, attr) for k, attr in FIELDS.items()}
        if all(now[k] >= then[k] for k in FIELDS):
            out.update({f"{name}{k}_per_s": round((now[k] - then[k]) / seconds, 3)
                        for k in FIELDS})
    return out


class FabricLayer:
    """Reads the cluster's fabric each sample; follows an apply, a clear, a re-apply."""

    def __init__(self, cluster: Cluster,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cluster, self.clock = cluster, clock
        self.reader: PortReader | None = None
        self.last: tuple[float, dict[str, PortCounters]] | None = None

    def read(self) -> dict[str, float]:
        """This interval's fabric metrics ({} with no fabric applied)."""
        record = apply.load(self.cluster)
        if record is None:
            self.reader = self.last = None
            return {}
        if self.reader is None or self.reader.record != record:
            self.reader, self.last = PortReader(self.cluster, record), None
        now, read = self.clock(), self.reader.read()
        before, seconds = (self.last[1], now - self.last[0]) if self.last else ({}, 0.0)
        self.last = (now, {p.port: p for p in read})
        return port_metrics(before, read, seconds)

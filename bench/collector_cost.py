"""The cluster collector's own CPU at 5 s with 8 nodes (issue 17 target: <= 2% of one core).

    python3 bench/collector_cost.py                    # 8 nodes, 5 s, 24 samples (2 min)
    python3 bench/collector_cost.py --nodes 8 --interval 5 --count 60
    python3 bench/collector_cost.py --name wlgen       # an existing cluster with monitoring

Runs the collector in this process with every layer (the background one of `up` is
stopped first, so only this one samples): nodes, scheduler, a flat fabric applied
(1 Gbit/s) so the fabric layer reads its ports, and the daemon logs' shipper thread;
with a 1-CPU job on every other node so the layers have something to say. Prints:

- this process's CPU (parsing, cgroup and net/dev reads, the send to carbon, following
  the daemon logs and sending them to the receiver) and that of its waited-for
  children (the `podman exec` client of the one exec in ctld a sample), in seconds and
  as % of one core over the wall time;
- the wall time of one sample.

Not counted: conmon and runc of that exec (podman detaches them), and sdiag, squeue
and sinfo inside ctld with slurmctld's work to answer them: that is the cluster's cost
of being watched, not the collector's. Needs root and podman; a cluster it made is
brought down at the end.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

from workload.cluster import Cluster, ClusterSpec, down, up
from workload.cluster.collect import background, logs
from workload.cluster.collect.collector import CarbonOutbox, Collector, slots

NAME = "wlgen-bench-col"


def cpu_seconds() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def measure(cluster: Cluster, interval_s: float, count: int) -> None:
    own0, kids0 = cpu_seconds()
    began = time.monotonic()
    shipper = logs.ShipperThread(logs.for_cluster(cluster, cluster.monitoring.logstash()),
                                 interval_s)
    shipper.start()
    collector = Collector(cluster, shipper=shipper)
    outbox = CarbonOutbox(cluster.monitoring.graphite, cluster.name)
    durations, metrics = [], 0
    try:
        for when in slots(interval_s, count):
            sample = collector.sample(when)
            outbox.put(sample)
            outbox.flush()
            durations.append(sample.metrics["collector.duration_ms"])
            metrics = len(sample.metrics)
            assert not sample.errors, sample.errors
    finally:
        shipper.stop()
    wall = time.monotonic() - began
    own, kids = (b - a for a, b in zip((own0, kids0), cpu_seconds()))
    lines = shipper.shipper.sent_total
    print(f"cluster {cluster.name}: {cluster.spec.nodes} nodes, interval {interval_s:g} s, "
          f"{count} samples of {metrics} metrics over {wall:.0f} s")
    print(f"  collector process CPU     {own:7.2f} s  {100 * own / wall:5.2f} % of one core")
    print(f"  + podman exec clients     {kids:7.2f} s  {100 * kids / wall:5.2f} % of one core")
    print(f"  = total                   {own + kids:7.2f} s  "
          f"{100 * (own + kids) / wall:5.2f} % of one core   [target <= 2 %]")
    print(f"  daemon log lines sent: {lines}; fabric metrics a sample: "
          f"{sum(k.startswith('fabric.') for k in sample.metrics)}")
    print(f"  one sample: median {statistics.median(durations):.0f} ms, "
          f"max {max(durations):.0f} ms wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", help="an existing cluster with monitoring (else one is made)")
    parser.add_argument("--nodes", type=int, default=8)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=24)
    args = parser.parse_args()
    made = args.name is None
    name = args.name or NAME
    try:
        cluster = up(ClusterSpec(name=name, nodes=args.nodes, cpus=4, mem_mb=1024,
                                 monitoring=True), timeout=300) if made else Cluster.load(name)
        background.stop(cluster.dir)
        from workload.fabric import apply
        apply.apply(cluster, apply.topology_for(cluster, "flat", 1_000_000_000))
        jobs = [cluster.slurm(["sbatch", "--parsable", "-w", node, "-n1", "--wrap",
                               "sleep 3600"]).strip()
                for node in cluster.spec.node_names[::2]]
        try:
            measure(cluster, args.interval, args.count)
        finally:
            cluster.slurm(["scancel", *jobs])
    finally:
        if made:
            down(name)


if __name__ == "__main__":
    main()

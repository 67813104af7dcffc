"""Every monitoring layer at 1 s under a 2,000-job storm: nothing lost, and what the
generator pays (issue 17 §3: the generator's CPU within 5% of the run without it).

    python3 bench/monitoring_load.py                      # 4 nodes x 8 CPUs, 2,000 jobs
    python3 bench/monitoring_load.py --jobs 500 --nodes 2
    python3 bench/monitoring_load.py --name h4-load --keep  # reuse / keep the cluster

One cluster with monitoring and a flat fabric applied; two storms on it, one after the
other, the same jobs (StormSource, 1 s each, seed 0):

1. without monitoring: no sinks, no collector;
2. with every layer: the background collector at 1 s (nodes, scheduler, fabric, daemon
   logs), and the run's sinks (graphite gauges every 1 s, an annotation per job event,
   a Logstash event per job event).

Side by side: the generator's CPU (this process, where the simpy generator, the
submission pool's threads and the tracker run), its children (the `podman exec` sbatch
clients, and in 2 the sinks' relay process), the background collector's, and wall time.
Then, for run 2, what was read back against what was produced:

- job events: events.jsonl lines vs the receiver's (``run_id``, ``seq``) and graphite-
  web's annotations tagged with the run;
- run gauges: the graphite sink's ``sent`` points vs the non-null points carbon holds;
- collector samples: started at 1 s, the collector makes carbon's slots for
  ``wlgen.cluster.*`` 1 s (workload/cluster/collect/schema.py): how many of the run's
  1 s slots hold a point (a sample that took longer than its second skips one);
- daemon log lines: whole lines in each daemon's container log file vs distinct
  ``source``s among the receiver's ``slurm-log`` events (and how many came twice).

Needs root and podman; a cluster it made is brought down at the end unless --keep.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from workload.backends.slurm import make_backend
from workload.event import Event
from workload.cluster import Cluster, ClusterSpec, down, up, wait_for
from workload.cluster.collect import background, logs
from workload.run.runner import run_workload
from workload.sinks.annotations import wanted
from workload.sinks.config import SinkOptions
from workload.sources import StormSource

NAME = "h4-load"
TICK = os.sysconf("SC_CLK_TCK")


def cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def process_cpu(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK   # utime, stime


def storm(cluster: Cluster, jobs: int, sinks: SinkOptions | None) -> dict[str, Any]:
    backend = make_backend(client="cli", cluster=cluster.name, workers=8)
    collector = background.running(cluster.dir)
    col0, (own0, kids0), began = process_cpu(collector), cpu(), time.monotonic()
    since = time.time()
    result = run_workload(StormSource(jobs, runtime="1", seed=0), backend, kind="storm",
                          sinks=sinks)
    own, kids = (b - a for a, b in zip((own0, kids0), cpu()))
    return {"wall": time.monotonic() - began, "own": own, "kids": kids,
            "collector": process_cpu(collector) - col0, "result": result,
            "since": int(since) - 60, "until": int(time.time()) + 60,   # read-back window
            "load": os.getloadavg()[1]}   # others' work on this machine: 5 min average


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=120) as answer:
        return json.load(answer)


def render_points(web: str, target: str, since: int, until: int) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"target": target, "from": since, "until": until,
                                    "format": "json"})
    return get_json(f"{web}/render?{query}")


def job_events(cluster: Cluster, run: dict[str, Any]) -> None:
    result, ends = run["result"], cluster.monitoring
    produced = sum(1 for _ in (result.run_dir / "events.jsonl").open())
    received = [d for d in map(json.loads, Path(ends.received).read_text().splitlines())
                if d.get("run_id") == result.run_id]
    keys = collections.Counter((d["seq"], d["kind"], d["state"], d["time"]) for d in received)
    query = urllib.parse.urlencode({"tags": f"wlgen {result.run_id}", "from": run["since"],
                                    "until": run["until"]})
    notes = get_json(f"{ends.graphite_web}/events/get_data?{query}")
    produced_notes = sum(1 for line in (result.run_dir / "events.jsonl").open()
                         if wanted(Event.from_dict(json.loads(line)), run["annotate"]))
    print(f"  job events: {produced} in events.jsonl; receiver {len(keys)} distinct "
          f"({sum(keys.values()) - len(keys)} twice), lost {produced - len(keys)}; "
          f"graphite-web annotations ({run['annotate']}) {len(notes)} of {produced_notes} "
          f"(not there: {produced_notes - len(notes)}; the sink's report below says if "
          "they wait in its spool)")
    for report in result.sinks:
        print(f"    sink {report.name}: sent {report.sent}, buffered {report.buffered}, "
              f"dropped {report.dropped}")


def run_gauges(cluster: Cluster, run: dict[str, Any]) -> None:
    result, web = run["result"], cluster.monitoring.graphite_web
    sent = next((r.sent for r in result.sinks if r.name == "graphite"), 0)
    since, until = run["since"], run["until"]
    points = 0
    for depth in range(1, 5):
        target = f"wlgen.{result.run_id}" + ".*" * depth
        points += sum(1 for s in render_points(web, target, since, until)
                      for v, _ in s["datapoints"] if v is not None)
    final = {}
    for name in ("submitted", "ended", "completed"):
        series = render_points(web, f"wlgen.{result.run_id}.{name}", since, until)
        final[name] = [v for v, _ in series[0]["datapoints"] if v is not None][-1] \
            if series else None
    m = result.metrics
    # The sink's last sample (sent at close, whatever the interval) can share a 1 s slot
    # with the one before: carbon keeps the last, so fewer points than sent is no loss
    # as long as the final values are there.
    print(f"  run gauges: graphite sink sent {sent} points, carbon holds {points} "
          f"(a 1 s slot keeps the last point); final submitted/ended/completed in carbon "
          f"{final['submitted']}/{final['ended']}/{final['completed']}, run "
          f"{m['submitted']}/{m.get('ended', '?')}/{m['completed']}")


def collector_slots(cluster: Cluster, run: dict[str, Any], since: int, until: int) -> None:
    web, prefix = cluster.monitoring.graphite_web, f"wlgen.cluster.{cluster.name}"
    for name in ("collector.duration_ms", "node.n1.cpu_percent", "scheduler.jobs_submitted",
                 "fabric.n1.rx_bytes_per_s", "logs.lines_sent"):
        series = render_points(web, f"{prefix}.{name}", since, until)
        slots = series[0]["datapoints"] if series else []
        empty = [t for v, t in slots if v is None]
        print(f"  {name}: {len(slots) - len(empty)} of {len(slots)} 1 s slots of the run "
              f"hold a point" + (f" (empty at {empty[:5]})" if empty else ""))


def daemon_lines(cluster: Cluster) -> None:
    """Wait for the collector to read every file to its end, then count."""
    state = cluster.dir / "monitoring" / logs.OFFSETS
    paths = {s.container: s.path for s in _sources(cluster)}

    def caught_up() -> bool:
        saved = json.loads(state.read_text())
        return all(saved.get(c, {}).get("offset") == p.stat().st_size for c, p in paths.items())
    wait_for(caught_up, 300, "the collector to read every daemon log to its end", interval=1)
    time.sleep(3)   # its send of that last step
    lines = {c: len(logs.whole_records(p.read_bytes())[0]) for c, p in paths.items()}
    got = collections.Counter(d["source"] for d in map(
        json.loads, Path(cluster.monitoring.received).read_text().splitlines())
        if d.get("type") == "slurm-log" and d.get("cluster") == cluster.name)
    per = collections.Counter(s.rsplit(":", 1)[0] for s in got)
    for container, count in lines.items():
        print(f"  {container}: {count} log lines, receiver {per[container]} distinct, "
              f"lost {count - per[container]}")
    print(f"  daemon log lines sent twice: {sum(got.values()) - len(got)}")


def _sources(cluster: Cluster) -> list[logs.Source]:
    from workload.cluster import proc
    containers = {h: cluster.container(h) for h in ("ctld", "db", *cluster.spec.node_hosts)}
    return logs.locate(cluster.engine.name, containers,
                       lambda argv: proc.text(cluster.engine, argv, timeout=30))


def side_by_side(off: dict[str, Any], on: dict[str, Any], jobs: int) -> None:
    print(f"{'':34}{'without':>12}{'with':>12}")
    for label, key in (("generator process CPU (s)", "own"), ("+ its children (s)", "kids"),
                       ("background collector CPU (s)", "collector"), ("wall (s)", "wall")):
        print(f"  {label:32}{off[key]:12.1f}{on[key]:12.1f}")
    print(f"  {'generator CPU per wall second (%)':34}{100 * off['own'] / off['wall']:10.2f}"
          f"{100 * on['own'] / on['wall']:12.2f}")
    print(f"  {'load average at the end (5 min)':34}{off['load']:10.1f}{on['load']:12.1f}")
    print(f"  generator CPU with / without: {on['own'] / off['own']:.3f}  [goal <= 1.05]")
    for tag, run in (("without", off), ("with", on)):
        m = run["result"].metrics
        print(f"  {tag}: {jobs} jobs, completed {m['completed']}, failed {m['failed']}, "
              f"unaccounted {m['unaccounted']}, run dir {run['result'].run_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=NAME)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--keep", action="store_true", help="leave the cluster up")
    parser.add_argument("--annotate", default="all", choices=("all", "startend", "failures"),
                        help="which job events become graphite-web annotations")
    parser.add_argument("--with-first", action="store_true",
                        help="run the storm with monitoring first (a changing load shows)")
    args = parser.parse_args()
    from workload.fabric import apply

    try:
        cluster = Cluster.load(args.name) if (Path("/var/lib/wlgen/clusters") / args.name
                                               ).exists() else \
            up(ClusterSpec(name=args.name, nodes=args.nodes, cpus=args.cpus,
                           monitoring=True), timeout=300)
        apply.apply(cluster, apply.topology_for(cluster, "flat", 1_000_000_000))
        ends = cluster.monitoring
        sinks = SinkOptions(graphite=ends.graphite, graphite_web=ends.graphite_web,
                            logstash=ends.logstash(), annotate=args.annotate,
                            metrics_interval=1.0, spool_dir=Path(ends.spool_dir))
        background.stop(cluster.dir)
        if not args.with_first:
            off = storm(cluster, args.jobs, None)
        background.start(cluster.name, cluster.dir, interval_s=1.0)
        on = storm(cluster, args.jobs, sinks)
        on["annotate"] = args.annotate
        if args.with_first:
            background.stop(cluster.dir)
            off = storm(cluster, args.jobs, None)
            # Back for the read-back: it resumes from its offsets (the lines logged
            # meanwhile included), as after any restart.
            background.start(cluster.name, cluster.dir, interval_s=1.0)
        print(f"cluster {cluster.name}: {cluster.spec.nodes} nodes x {cluster.spec.cpus} "
              f"CPUs, Slurm {cluster.slurm_version}; storm of {args.jobs} 1 s jobs")
        side_by_side(off, on, args.jobs)
        print("read back after the run with every layer:")
        job_events(cluster, on)
        run_gauges(cluster, on)
        collector_slots(cluster, on, on["since"] + 60, on["until"] - 60)
        daemon_lines(cluster)
    finally:
        if not args.keep:
            down(args.name)


if __name__ == "__main__":
    main()

"""Replay timing on a real cluster: how late each sbatch began against its trace time.

    python3 bench/replay_slurm.py --cluster slurmbe [--speedup 100] [--limit 300]

Replays the first --span trace seconds (at most --limit jobs) of tests/data/HPC2N-2002-2.2-alea-subset.swf with
arrivals and run times divided by --speedup. The trace's users are created before the
run (site setup, not submission). Prints submit-error p50/p99 and the error in a few
time buckets (drift shows as later buckets growing). Target: p99 <= 50 ms, no drift.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from workload.backends.slurm import make_backend
from workload.cluster import Cluster
from workload.run import run_workload
from workload.sources.trace import TraceSource, Window
from workload.transforms import cap_runtime, compress, scale_procs

TRACE = Path(__file__).resolve().parents[1] / "tests/data/HPC2N-2002-2.2-alea-subset.swf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cluster", default="wlgen")
    parser.add_argument("--speedup", type=float, default=100.0)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--span", type=float, default=21600,
                        help="Trace seconds replayed (at 100x: 6 h of trace -> 216 s)")
    parser.add_argument("--buckets", type=int, default=5)
    args = parser.parse_args()
    cluster = Cluster.load(args.cluster)
    source = TraceSource(TRACE, window=Window(limit=args.limit, end_s=args.span))
    specs = list(source)
    cluster.add_users(sorted({s.user for s in specs}))
    info = cluster.describe()
    specs = scale_procs(specs, from_procs=source.max_procs or 240,
                        to_procs=info.total_cpus, cpus_per_node=info.cpus_per_node)
    specs = cap_runtime(compress(specs, arrival=args.speedup, runtime=args.speedup), 30)
    result = run_workload(specs, make_backend(client="cli", cluster=cluster.name),
                          kind="replay")
    events = [json.loads(line) for line in (result.run_dir / "events.jsonl").open()]
    submits = sorted((e["time"], e["submit_error_s"]) for e in events
                     if e["kind"] == "submit" and e["submit_error_s"] is not None)
    errors = sorted(err for _, err in submits)
    p99 = errors[min(len(errors) - 1, int(0.99 * len(errors)))]
    print(f"replay of {len(errors)} jobs at {args.speedup:g}x: submit error "
          f"p50 {statistics.median(errors) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
          f"(target <= 50 ms); unaccounted {result.metrics['unaccounted']}")
    size = max(1, len(submits) // args.buckets)
    for i in range(0, len(submits), size):
        chunk = [err for _, err in submits[i:i + size]]
        print(f"  jobs {i:>5}-{i + len(chunk) - 1:<5} mean {statistics.mean(chunk) * 1000:7.1f} ms"
              f"  max {max(chunk) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()

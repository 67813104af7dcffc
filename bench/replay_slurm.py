"""Replay timing on a real cluster: how late each sbatch began against its trace time.

    python3 bench/replay_slurm.py --cluster NAME [--speedups 100,1000,20000] [--wall 120]

For each speedup, replays the densest window of tests/data/HPC2N-2002-2.2-alea-subset.swf
that lasts --wall seconds once compressed (span = speedup x wall trace seconds; the trace
is sparse: 3,145 jobs over 57 days), arrivals and run times divided by the speedup. The
trace's users are created before the clock starts, as `wlgen replay` does. Prints, per
speedup, submit-error p50/p99/max, the largest lag the backend saw (submit_lag_max_s),
and the error per time bucket of the run with its slope over the run (drift).
Target: p99 <= 50 ms, no drift.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
from pathlib import Path

from workload.backends.slurm import make_backend
from workload.cluster import Cluster
from workload.run.runner import run_workload
from workload.rundir import EVENTS, read_events, read_settings
from workload.sources.trace import TraceSource, Window
from workload.sources.transforms import cap_runtime, compress, scale_procs

TRACE = Path(__file__).resolve().parents[1] / "tests/data/HPC2N-2002-2.2-alea-subset.swf"


def densest(span: float) -> tuple[float, int]:
    """(trace submit time, jobs) of the --span window holding the most jobs."""
    times = [spec.submit_s for spec in TraceSource(TRACE)]
    counts = [(bisect.bisect_left(times, a + span) - i, a) for i, a in enumerate(times)]
    jobs, start = max(counts)
    return start, jobs


def p(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def drift(points: list[tuple[float, float]], buckets: int) -> None:
    """Error per time bucket and its least-squares slope over the run."""
    t0, t1 = points[0][0], points[-1][0]
    width = max(1e-9, (t1 - t0) / buckets)
    for b in range(buckets):
        chunk = sorted(e for t, e in points
                       if t0 + b * width <= t < t0 + (b + 1) * width
                       or (b == buckets - 1 and t == t1))
        if chunk:
            print(f"  {b * width:6.0f}-{(b + 1) * width:<6.0f}s  {len(chunk):4d} jobs  "
                  f"mean {statistics.mean(chunk) * 1000:6.1f} ms  "
                  f"p99 {p(chunk, 0.99) * 1000:6.1f} ms")
    slope = statistics.linear_regression([t for t, _ in points], [e for _, e in points]).slope
    print(f"  drift: {slope * 1000 * 60:+.2f} ms of error per minute of run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cluster", default="wlgen")
    parser.add_argument("--speedups", default="100,1000,20000",
                        help="Comma-separated speedups, one replay each")
    parser.add_argument("--wall", type=float, default=120,
                        help="Wall seconds of arrivals per replay (span = speedup x wall)")
    parser.add_argument("--max-runtime", type=float, default=30.0)
    parser.add_argument("--buckets", type=int, default=6)
    args = parser.parse_args()
    cluster = Cluster.load(args.cluster)
    for speedup in (float(x) for x in args.speedups.split(",")):
        replay(cluster, speedup, speedup * args.wall, args.max_runtime, args.buckets)


def replay(cluster: Cluster, speedup: float, span: float, max_runtime: float,
           buckets: int) -> None:
    start, count = densest(span)
    # Window times are relative to the trace's first job, as densest() measured them.
    source = TraceSource(TRACE, window=Window(start_s=start, end_s=start + span))
    specs = list(source)
    backend = make_backend(client="cli", cluster=cluster.name)
    backend.prepare_users(s.user for s in specs)
    info = backend.describe()
    specs = scale_procs(specs, from_procs=source.max_procs or 240,
                        to_procs=info.total_cpus, cpus_per_node=info.cpus_per_node)
    specs = cap_runtime(compress(specs, arrival=speedup, runtime=speedup), max_runtime)
    result = run_workload(specs, backend, kind="replay")
    events = read_events(result.run_dir / EVENTS)
    epoch = read_settings(result.run_dir)["epoch"]
    points = sorted((e.time - epoch, e.submit_error_s) for e in events
                    if e.kind == "submit" and e.submit_error_s is not None)
    errors = sorted(err for _, err in points)
    m = result.metrics
    print(f"replay of {len(errors)} jobs ({count} in the densest {span:g} s of the "
          f"trace) at {speedup:g}x on {len(info.nodes)} nodes x {info.cpus_per_node} CPUs: "
          f"submit error p50 {statistics.median(errors) * 1000:.1f} ms, "
          f"p99 {p(errors, 0.99) * 1000:.1f} ms, max {errors[-1] * 1000:.1f} ms "
          f"(target p99 <= 50 ms); submit_lag_max_s {m.get('submit_lag_max_s')}; "
          f"arrivals over {points[-1][0] - points[0][0]:.0f} s, wall {m['wall_s']:.0f} s; "
          f"unaccounted {m['unaccounted']}", flush=True)
    drift(points, buckets)


if __name__ == "__main__":
    main()

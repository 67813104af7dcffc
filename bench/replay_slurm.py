"""Replay timing on a real cluster: how late each sbatch began against its trace time.

    python3 bench/replay_slurm.py --cluster slurmbe [--speedup 100] [--span 21600]

Replays the densest --span trace seconds of tests/data/HPC2N-2002-2.2-alea-subset.swf
(the trace is sparse: 3,145 jobs over 57 days; its densest 6 h hold 169 jobs) with
arrivals and run times divided by --speedup. The trace's users are created before the
clock starts, as `wlgen replay` does. Prints submit-error p50/p99, the error per time
bucket of the run and its slope over the run (drift). Target: p99 <= 50 ms, no drift.
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
                       if t0 + b * width <= t < t0 + (b + 1) * width or (b == buckets - 1 and t == t1))
        if chunk:
            print(f"  {b * width:6.0f}-{(b + 1) * width:<6.0f}s  {len(chunk):4d} jobs  "
                  f"mean {statistics.mean(chunk) * 1000:6.1f} ms  p99 {p(chunk, 0.99) * 1000:6.1f} ms")
    slope = statistics.linear_regression([t for t, _ in points], [e for _, e in points]).slope
    print(f"  drift: {slope * 1000 * 60:+.2f} ms of error per minute of run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cluster", default="wlgen")
    parser.add_argument("--speedup", type=float, default=100.0)
    parser.add_argument("--span", type=float, default=21600,
                        help="Trace seconds replayed (at 100x: 6 h of trace -> 216 s)")
    parser.add_argument("--max-runtime", type=float, default=30.0)
    parser.add_argument("--buckets", type=int, default=6)
    args = parser.parse_args()
    cluster = Cluster.load(args.cluster)
    start, count = densest(args.span)
    # Window times are relative to the trace's first job, as densest() measured them.
    source = TraceSource(TRACE, window=Window(start_s=start, end_s=start + args.span))
    specs = list(source)
    backend = make_backend(client="cli", cluster=cluster.name)
    backend.prepare_users(s.user for s in specs)
    info = backend.describe()
    specs = scale_procs(specs, from_procs=source.max_procs or 240,
                        to_procs=info.total_cpus, cpus_per_node=info.cpus_per_node)
    specs = cap_runtime(compress(specs, arrival=args.speedup, runtime=args.speedup),
                        args.max_runtime)
    result = run_workload(specs, backend, kind="replay")
    events = read_events(result.run_dir / EVENTS)
    epoch = read_settings(result.run_dir)["epoch"]
    points = sorted((e.time - epoch, e.submit_error_s) for e in events
                    if e.kind == "submit" and e.submit_error_s is not None)
    errors = sorted(err for _, err in points)
    print(f"replay of {len(errors)} jobs ({count} in the densest {args.span:g} s of the "
          f"trace) at {args.speedup:g}x on {len(info.nodes)} nodes: submit error "
          f"p50 {statistics.median(errors) * 1000:.1f} ms, p99 {p(errors, 0.99) * 1000:.1f} ms,"
          f" max {errors[-1] * 1000:.1f} ms (target p99 <= 50 ms); "
          f"unaccounted {result.metrics['unaccounted']}")
    drift(points, args.buckets)


if __name__ == "__main__":
    main()

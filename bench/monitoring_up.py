"""Seconds to a usable cluster with and without its monitoring stack.

    python3 bench/monitoring_up.py                # 1 node, 3 rounds each
    python3 bench/monitoring_up.py --nodes 4 --rounds 5 --image

1. `up` (plain) until every node is idle and slurmrestd answers
2. `up --monitoring` until that and carbon, graphite-web and the receiver answer
3. (--image) the monitoring image built again without cache, on the existing base

Needs root and podman (.ci/setup.d/20-podman.sh); images are built first if missing.
Brings its clusters down after each round.
"""

from __future__ import annotations

import argparse
import statistics
import time

from workload.cluster import (
    ClusterSpec,
    down,
    ensure_image,
    ensure_monitoring_image,
    proc,
    up,
)
from workload.cluster.images import (
    MONITORING,
    MONITORING_SUITE,
    base_image,
    build_image,
    image_id,
    monitoring_image,
)
from workload.cluster.proc import make_engine

NAME = "wlgen-bench-mon"


def seconds(action) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def rounds(nodes: int, monitoring: bool, count: int) -> list[float]:
    spec = ClusterSpec(name=NAME, nodes=nodes, cpus=2, mem_mb=512, monitoring=monitoring)
    out = []
    for _ in range(count):
        try:
            out.append(seconds(lambda: up(spec, timeout=300)))
        finally:
            down(NAME)
    return out


def show(what: str, values: list[float]) -> None:
    print(f"{what:44} median {statistics.median(values):5.1f} s  "
          f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--image", action="store_true",
                        help="also time a no-cache build of the monitoring image")
    args = parser.parse_args()
    engine = make_engine()
    down(NAME)
    ensure_image(engine, "bookworm")
    if args.image:
        previous = image_id(engine, monitoring_image())
        base = base_image(MONITORING_SUITE)
        took = seconds(lambda: build_image(engine, MONITORING, MONITORING_SUITE, base,
                                           lambda msg: None, no_cache=True))
        print(f"{'monitoring image, no cache (base kept)':44} {took:5.1f} s", flush=True)
        if previous and previous != image_id(engine, monitoring_image()):
            proc.run(engine, engine.image_remove([previous]), check=False)  # no leftovers
    ensure_monitoring_image(engine)
    plain = rounds(args.nodes, False, args.rounds)
    watched = rounds(args.nodes, True, args.rounds)
    show(f"up, {args.nodes} node(s)", plain)
    show(f"up --monitoring, {args.nodes} node(s)", watched)
    print(f"{'monitoring adds':44} median "
          f"{statistics.median(watched) - statistics.median(plain):+5.1f} s")


if __name__ == "__main__":
    main()

"""Seconds to a usable containerised Slurm cluster (issue 3 targets in brackets).

    python3 bench/cluster_up.py                 # all three figures
    python3 bench/cluster_up.py --skip-images   # keep the built images

1. images from nothing: debootstrap base + Slurm image, no build cache   [<= 180 s]
2. 8 nodes idle from built images (`up` until every node is idle)        [<= 15 s]
3. 32 nodes: time to idle, then one 32-node job                          [works]

Needs root and podman (.ci/setup.d/20-podman.sh). Brings its clusters down at the end.
"""

from __future__ import annotations

import argparse
import time

from workload.cluster import ClusterSpec, down, ensure_image, up, wait_for
from workload.cluster.proc import make_engine

NAME = "wlgen-bench"


def timed(what: str, action) -> float:
    start = time.monotonic()
    result = action()
    seconds = time.monotonic() - start
    print(f"{what:44} {seconds:7.1f} s", flush=True)
    return result


def job_completes(cluster, nodes: int) -> str:
    job = cluster.slurm(["sbatch", "--parsable", f"-N{nodes}", "--wrap",
                         "srun hostname"]).strip()

    def ended() -> str | None:
        state = cluster.slurm(["sacct", "-n", "-X", "-P", "-o", "State", "-j", job]).strip()
        return state if state and state not in ("PENDING", "RUNNING") else None
    return wait_for(ended, 120, f"the {nodes}-node job {job} to end")


def nodes_up(nodes: int, suite: str) -> None:
    spec = ClusterSpec(name=NAME, nodes=nodes, cpus=4, mem_mb=2048, suite=suite)
    try:
        cluster = timed(f"{nodes} nodes idle from built images", lambda: up(spec, timeout=300))
        state = timed(f"  one {nodes}-node job (srun hostname)",
                      lambda: job_completes(cluster, nodes))
        print(f"  -> {state}, Slurm {cluster.slurm_version}")
    finally:
        timed(f"  down ({nodes} nodes)", lambda: down(NAME))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-images", action="store_true")
    parser.add_argument("--slurm", default="bookworm")
    parser.add_argument("--nodes", type=int, nargs="*", default=[8, 32])
    args = parser.parse_args()
    down(NAME)
    if not args.skip_images:
        timed(f"images from nothing ({args.slurm})",
              lambda: ensure_image(make_engine(), args.slurm, fresh=True))
    else:
        ensure_image(make_engine(), args.slurm)
    for nodes in args.nodes:
        nodes_up(nodes, args.slurm)


if __name__ == "__main__":
    main()

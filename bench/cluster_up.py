"""Seconds to a usable containerised Slurm cluster (issue 3 targets in brackets).

    python3 bench/cluster_up.py                 # all three figures
    python3 bench/cluster_up.py --skip-images   # keep the built images

1. images from nothing: debootstrap base + Slurm image, no build cache   [<= 180 s]
2. 8 nodes idle from built images (`up` until every node is idle)        [<= 15 s]
3. 32 nodes: time to idle, then one 32-node job                          [works]

Large clusters (issue 18 §1), several slurmd a container:

    python3 bench/cluster_up.py --skip-images --nodes --large 256 1024 --storm 10000

4. N nodes as N/16 containers x 16 slurmd: time to every node idle, slurmctld's RSS
5. a storm of --storm jobs on the largest N, every job accounted for; submission rate
   (jobs / first to last submit, Slurm's whole-second timestamps) and completion rate
   (jobs / first submit to last end); slurmctld's RSS after it

Needs root and podman (.ci/setup.d/20-podman.sh). Brings its clusters down at the end.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def ctld_rss_mb(cluster) -> float:
    """slurmctld's resident memory, from ps inside the ctld container."""
    out = cluster.slurm(["ps", "-C", "slurmctld", "-o", "rss="]).split()
    return sum(int(kb) for kb in out) / 1024


def host_slurmd_rss_mb(cluster) -> float:
    """Every slurmd of this cluster's node containers, summed (ps inside each)."""
    total = 0
    for host in cluster.spec.node_hosts:
        out = cluster.exec(host, ["ps", "-C", "slurmd", "-o", "rss="], timeout=60)
        total += sum(int(kb) for kb in out.stdout.split())
    return total / 1024


def storm(cluster, jobs: int) -> None:
    """A storm through the CLI client; every job must be accounted for."""
    out = Path(tempfile.mkdtemp(prefix="wlgen-bench-large-")) / "run"
    argv = [sys.executable, "-m", "workload.cli.main", "storm", "--jobs", str(jobs),
            "--runtime", "1-5", "--size", "1-4", "--backend", "slurm",
            "--cluster", cluster.name, "--json", "--out", str(out)]
    done = timed(f"  storm of {jobs} jobs (wall)",
                 lambda: subprocess.run(argv, capture_output=True, text=True, check=False))
    accounting = json.loads((out / "accounting.json").read_text())
    submits, ends = [], []
    with (out / "events.jsonl").open() as events:
        for line in events:
            event = json.loads(line)
            if event["kind"] == "submit":
                submits.append(event["time"])
            elif event["kind"] == "end":
                ends.append(event["time"])
    span = max(max(submits) - min(submits), 1.0)
    print(f"  exit {done.returncode}; by state {accounting['by_state']}; "
          f"unaccounted {len(accounting['unaccounted_seqs'])}")
    print(f"  submission rate {len(submits) / span:,.0f} jobs/s "
          f"({len(submits)} submits over {span:.0f} s)")
    print(f"  completion rate {len(ends) / max(max(ends) - min(submits), 1.0):,.1f} jobs/s "
          f"({len(ends)} ends, first submit to last end {max(ends) - min(submits):.0f} s)")


def large_up(nodes: int, suite: str, per: int, jobs: int) -> None:
    spec = ClusterSpec(name=NAME, nodes=nodes, cpus=2, mem_mb=512, suite=suite,
                       nodes_per_container=per)
    try:
        cluster = timed(f"{nodes} nodes idle ({spec.containers} x {per} slurmd)",
                        lambda: up(spec, timeout=1800))
        print(f"  slurmctld RSS {ctld_rss_mb(cluster):.0f} MB; every slurmd "
              f"{host_slurmd_rss_mb(cluster):,.0f} MB")
        if jobs:
            storm(cluster, jobs)
            print(f"  slurmctld RSS after the storm {ctld_rss_mb(cluster):.0f} MB")
    finally:
        timed(f"  down ({nodes} nodes)", lambda: down(NAME))


def main() -> None:
    global NAME
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-images", action="store_true")
    parser.add_argument("--slurm", default="bookworm")
    parser.add_argument("--nodes", type=int, nargs="*", default=[8, 32])
    parser.add_argument("--large", type=int, nargs="*", default=[],
                        help="Slurm node counts to bring up with --per slurmd a container")
    parser.add_argument("--per", type=int, default=16)
    parser.add_argument("--name", default="wlgen-bench", help="the clusters' name")
    parser.add_argument("--storm", type=int, default=0,
                        help="jobs of a storm on the largest --large cluster")
    args = parser.parse_args()
    NAME = args.name
    down(NAME)
    if not args.skip_images:
        timed(f"images from nothing ({args.slurm})",
              lambda: ensure_image(make_engine(), args.slurm, fresh=True))
    else:
        ensure_image(make_engine(), args.slurm)
    for nodes in args.nodes:
        nodes_up(nodes, args.slurm)
    for nodes in args.large:
        large_up(nodes, args.slurm, args.per, args.storm if nodes == max(args.large) else 0)


if __name__ == "__main__":
    main()

"""Submit rate through slurmrestd vs through the client commands, on one cluster.

    wlgen cluster up --nodes 2 --cpus 4 --name rest1
    python3 bench/rest_slurm.py --cluster rest1 [--jobs 300] [--workers 8]

Both are wlgen's Slurm backend (same pool, tags, tracker), one with ``--slurm-client
rest`` and one with ``cli``; each is timed from its first submit to its last accepted
job id, one job a request and with same-shape jobs packed into arrays (the default).
Nodes are drained meanwhile, so the figure is slurmctld (and slurmrestd) accepting
jobs and nothing else on this machine's cores. Also printed: the median of a bare
GET ping through slurmrestd, what every REST call pays before Slurm does any work.
Needs root and podman.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.storm_slurm import clean  # noqa: E402
from workload.backends.slurm import make_backend  # noqa: E402
from workload.backends.slurm.backend import SlurmBackend  # noqa: E402
from workload.backends.slurm.rest import RestSlurmClient  # noqa: E402
from workload.cluster import Cluster, wait_for  # noqa: E402
from workload.spec import JobSpec  # noqa: E402


def accept_seconds(backend: SlurmBackend, jobs: int) -> float:
    """Seconds from the first submit until slurmctld gave every job an id."""
    backend.attach(simpy.Environment(), lambda event: None, time.time(),
                   f"rbench{time.time_ns()}")
    backend.prepare_users(["u1"])          # user creation is setup, not submission
    backend.describe()
    began = time.monotonic()
    for seq in range(jobs):
        backend.submit(JobSpec(seq=seq, submit_s=0, procs=1, runtime_s=1, time_limit_s=60,
                               user="u1"))
    wait_for(lambda: len(backend.tracker.tracks) >= jobs, 600, "every job accepted",
             interval=0.01)
    took = time.monotonic() - began
    backend.close()
    return took


def ping_ms(client: RestSlurmClient, times: int = 50) -> float:
    took = []
    for _ in range(times):
        began = time.perf_counter()
        client.http.call("GET", client.api.slurm("ping"))
        took.append(time.perf_counter() - began)
    return 1000 * statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="rest1")
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    cluster = Cluster.load(args.cluster)
    nodes = ",".join(cluster.spec.node_names)
    cluster.slurm(["scontrol", "update", f"nodename={nodes}", "state=drain", "reason=bench"])
    figures: dict[str, float] = {}
    try:
        for client in ("cli", "rest"):
            for arrays in (False, True):
                clean(cluster)
                backend = make_backend(client=client, cluster=cluster.name,
                                       workers=args.workers, arrays=arrays)
                assert isinstance(backend, SlurmBackend)
                label = f"{client}, {'arrays packed' if arrays else 'one job a request'}"
                figures[label] = args.jobs / accept_seconds(backend, args.jobs)
        rest = make_backend(client="rest", cluster=cluster.name)
        assert isinstance(rest, SlurmBackend) and isinstance(rest.client, RestSlurmClient)
        client = rest.client
        print(f"Slurm {client.release_name}, API {client.api.version}, {args.jobs} jobs, "
              f"{args.workers} workers; slurmrestd GET ping median {ping_ms(client):.1f} ms")
    finally:
        clean(cluster)
        cluster.slurm(["scontrol", "update", f"nodename={nodes}", "state=resume"])
    for label, rate in figures.items():
        print(f"  {label:<30} {rate:8.1f} jobs/s")
    for mode in ("one job a request", "arrays packed"):
        ratio = figures[f"rest, {mode}"] / figures[f"cli, {mode}"]
        print(f"  REST / CLI, {mode}: {ratio:.2f}")


if __name__ == "__main__":
    main()

"""Smoke run of every Debian suite's Slurm: image builds, nodes go idle, one MPI job.

    python3 bench/slurm_suites.py                    # bookworm, trixie, sid
    python3 bench/slurm_suites.py --slurm trixie

Per suite: build (or reuse) the image, `up` 2 nodes x 4 CPUs, run a 4-rank mpi4py job
over both nodes (srun --mpi=pmix where Slurm has the pmix plugin, else mpirun inside
the allocation: sid's Slurm 26.05 is built without pmix), read its end from
`sacct --json`, bring the cluster down. Prints one line per step; exits 1 if a suite
failed. Needs root and podman.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from workload.cluster import SUITES, Cluster, ClusterSpec, down, ensure_image, up, wait_for
from workload.cluster.proc import make_engine
from workload.errors import WlgenError

PROGRAM = ("from mpi4py import MPI; c = MPI.COMM_WORLD; "
           "print(c.Get_rank(), c.Get_size(), MPI.Get_processor_name())")


def launcher(cluster: Cluster) -> str:
    kinds = cluster.slurm(["srun", "--mpi=list"])
    return "srun --mpi=pmix" if "pmix" in kinds else "mpirun"


def sacct_end(cluster: Cluster, job: str) -> str | None:
    done = cluster.exec("ctld", ["sacct", "--json", "-j", job])
    for row in json.loads(done.stdout or b"{}").get("jobs", []) if done.returncode == 0 else []:
        state = row["state"]["current"]
        state = state[0] if isinstance(state, list) else state
        return state if state not in ("PENDING", "RUNNING", "COMPLETING") else None
    return None


def smoke(suite: str) -> bool:
    name = f"wlgen-smoke-{suite}"
    step = time.monotonic()

    def say(what: str) -> None:
        nonlocal step
        print(f"{suite:9} {what:54} {time.monotonic() - step:6.1f} s", flush=True)
        step = time.monotonic()
    try:
        ensure_image(make_engine(), suite)
        say(f"image localhost/wlgen-slurm:{suite}")
        cluster = up(ClusterSpec(name=name, nodes=2, cpus=4, mem_mb=2048, suite=suite),
                     timeout=180)
        say(f"2 nodes idle, Slurm {cluster.slurm_version}")
        how = launcher(cluster)
        job = cluster.slurm(["sbatch", "--parsable", "-N2", "-n4", "--output=/tmp/smoke.out",
                             "--wrap", f"{how} python3 -c '{PROGRAM}'"]).strip()
        state = wait_for(lambda: sacct_end(cluster, job), 120, f"job {job} in sacct --json")
        out = cluster.exec("n1", ["cat", "/tmp/smoke.out"]).stdout.decode().splitlines()
        hosts = sorted({line.split()[2] for line in out if line.split()[1:2] == ["4"]})
        say(f"MPI job via {how}: {state}, 4 ranks on {','.join(hosts)}")
        return state == "COMPLETED"
    except WlgenError as err:
        say(f"FAILED: {err}")
        return False
    finally:
        down(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slurm", action="append", choices=sorted(SUITES))
    args = parser.parse_args()
    results = {suite: smoke(suite) for suite in args.slurm or list(SUITES)}
    print("summary:", ", ".join(f"{s} {'ok' if ok else 'FAILED'}" for s, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

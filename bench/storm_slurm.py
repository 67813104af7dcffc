"""Submission rates on one real cluster: wlgen's storm vs a sequential sbatch loop,
parallel sbatch and one `sbatch --array`; then a large storm, every job accounted for.

    wlgen cluster up --nodes 4 --cpus 8 --name slurmbe
    python3 bench/storm_slurm.py --cluster slurmbe [--jobs 400] [--storm 10000] [--login]
    python3 bench/storm_slurm.py --cluster slurmbe --distinct 2000 [--distinct-workers 8,16]

The rate runs happen with every node drained, so no client's jobs start and compete
for this machine's cores: each figure is slurmctld accepting jobs and nothing else.
Rates are timed inside the controller for the shell clients (no podman exec in them)
and from first submit to the moment the last job id is recorded for wlgen, twice: one sbatch per job
(`arrays=False`) and with same-shape jobs of one instant packed into array jobs (the
default). With --login, the same from this host as a login node (`wlgen cluster login`:
the host's own sbatch, no relay into the controller), next to a sequential sbatch loop
on the host. With --distinct N, only jobs that cannot be packed (each its own time
limit), through every client side by side, the HTTP ceiling of slurmrestd and the CPU
a job costs in each part (see storm_distinct.py). Needs root and podman (and for
--login, slurm-client and munge).
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from workload.backends.slurm import make_backend, pack
from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.command import sbatch_argv
from workload.backends.slurm.request import submit_request
from workload.backends.slurm.tracker import Tracker
from workload.cluster import Cluster, login, wait_for
from workload.run.runner import run_workload
from workload.sources import StormSource
from workload.spec import JobSpec

SHELL_RATE = 'a=$(date +%s.%N); {body}; b=$(date +%s.%N); echo "$a $b"'
SBATCH = "sbatch --parsable -o /dev/null --wrap true >/dev/null"
SETTLE_S = 1.0   # after a clean: slurmctld's own follow-up work (purges, scheduling) ends


def shell_seconds(cluster: Cluster, body: str, as_uid: int | None = None) -> float:
    """Seconds ``body`` took in the controller (as ``as_uid``, switched before the clock)."""
    switch = [] if as_uid is None else [
        "setpriv", f"--reuid={as_uid}", f"--regid={as_uid}", "--clear-groups"]
    out = cluster.slurm([*switch, "bash", "-c", SHELL_RATE.format(body=body)], timeout=600)
    began, ended = map(float, out.split()[-2:])
    return ended - began


def clean(cluster: Cluster) -> None:
    cluster.slurm(["scancel", "--user=root"])
    cluster.exec("ctld", ["bash", "-c", "scancel --name=dummy; for u in $(squeue -h -o %u "
                                        "| sort -u); do scancel -u $u; done"])
    wait_for(lambda: not cluster.slurm(["squeue", "-h"]).strip(), 120, "an empty queue")
    # The cancelled jobs still go to accounting: the next client must not compete with that.
    wait_for(lambda: "DBD Agent queue size: 0\n" in cluster.slurm(["sdiag"]), 120,
             "slurmctld's accounting queue to drain")
    time.sleep(SETTLE_S)


def host_seconds(body: str) -> float:
    """``shell_seconds`` for a loop run on this host (the login node)."""
    out = subprocess.run(["bash", "-c", SHELL_RATE.format(body=body)], capture_output=True,
                         text=True, timeout=600, check=True).stdout
    began, ended = map(float, out.split()[-2:])
    return ended - began


def bench_specs(jobs: int) -> list[JobSpec]:
    """The jobs every wlgen client submits: one shape, as trace user u1."""
    return [JobSpec(seq=i, submit_s=0, procs=1, runtime_s=1, time_limit_s=60, user="u1")
            for i in range(jobs)]


def same_jobs_array(cluster: Cluster, jobs: int) -> Callable[[], float]:
    """One shell ``sbatch --array`` of exactly what wlgen's packed storm submits (its
    argv, its per-task script, as user u1 with account wlgen): the best a client can do
    for the same jobs. The script is written, and the shell becomes u1, before the clock
    starts."""
    specs = bench_specs(jobs)
    backend = make_backend(client="cli", cluster=cluster.name)   # for its sbatch defaults
    assert isinstance(backend, SlurmBackend)
    argv = sbatch_argv(submit_request(specs[0], "bench-same", "", account=backend.account,
                                      tasks=jobs, mem_per_cpu_mb=backend.mem_per_cpu_mb))
    backend.close()
    cluster.exec("ctld", ["bash", "-c", f"cat > {SAME_SCRIPT}"],
                 input=pack.array_script(specs).encode(), check=True)
    uid = cluster.add_users(["u1"])["u1"]   # on a fresh cluster u1 does not exist yet
    body = f"{shlex.join(argv)} {SAME_SCRIPT} >/dev/null"
    return lambda: shell_seconds(cluster, body, as_uid=uid)


def wlgen_seconds(cluster: Cluster, jobs: int, workers: int, arrays: bool,
                  via_login: bool = False) -> float:
    """Seconds to submit ``jobs``: through the relay, or (``via_login``, with the login
    environment in os.environ) with this host's clients (``--cluster ''``)."""
    backend = make_backend(client="cli", cluster="" if via_login else cluster.name,
                           workers=workers, arrays=arrays)
    assert isinstance(backend, SlurmBackend)
    backend.tracker = accepted = TimedTracker()
    import simpy
    backend.attach(simpy.Environment(), lambda event: None, time.time(),
                   f"bench{int(time.time())}")
    # User creation is setup, not submission (wlgen replay does it before the clock).
    backend.prepare_users(["u1"])
    backend.describe()
    specs = bench_specs(jobs)
    began = time.monotonic()
    for spec in specs:
        backend.submit(spec)
    wait_for(lambda: len(accepted.tracks) >= jobs, 600, "every job accepted", interval=0.01)
    backend.close()
    return accepted.last - began


class TimedTracker(Tracker):
    """The backend's tracker, noting when it last recorded a job id: the end of a
    submission measured to the microsecond, not to a poll interval (a packed array
    of 1,000 jobs takes ~10 ms in all)."""

    last = 0.0

    def add(self, *args: Any) -> None:
        super().add(*args)
        self.last = time.monotonic()

    def add_array(self, *args: Any) -> None:
        super().add_array(*args)
        self.last = time.monotonic()


PER_JOB, PACKED = "wlgen storm, one sbatch a job", "wlgen storm, arrays packed"
SAME_ARRAY = "one sbatch --array of wlgen's jobs, as u1"
SAME_SCRIPT = "/tmp/wlgen-bench-array.sh"


@contextmanager
def drained(cluster: Cluster) -> Iterator[None]:
    """Every node drained (no job starts and competes for the cores), then resumed."""
    nodes = ",".join(cluster.spec.node_names)
    cluster.slurm(["scontrol", "update", f"nodename={nodes}", "state=drain", "reason=bench"])
    try:
        yield
    finally:
        clean(cluster)
        cluster.slurm(["scontrol", "update", f"nodename={nodes}", "state=resume"])


def measure(cluster: Cluster, jobs: int, clients: dict[str, Callable[[], float]],
            repeat: int) -> dict[str, float]:
    """Median jobs/s of each client (a callable giving the seconds ``jobs`` took) over
    ``repeat`` rounds, the queue emptied and slurmctld settled after each run."""
    samples: dict[str, list[float]] = {name: [] for name in clients}
    names = list(clients)
    with drained(cluster):
        for round_ in range(repeat):
            # Each round starts with another client: none always runs after the same one.
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                samples[name].append(jobs / clients[name]())
                clean(cluster)
    return {name: statistics.median(rates) for name, rates in samples.items()}


def rates(cluster: Cluster, jobs: int, workers: int, repeat: int) -> None:
    loop = f"for i in $(seq {jobs}); do {SBATCH}; done"
    clients = {
        "sequential sbatch loop": lambda: shell_seconds(cluster, loop),
        "8 parallel sbatch (xargs -P8)": lambda: shell_seconds(
            cluster, f"seq {jobs} | xargs -P8 -I{{}} sh -c '{SBATCH}'"),
        f"{PER_JOB} ({workers} workers)": lambda: wlgen_seconds(cluster, jobs, workers,
                                                                arrays=False),
        "one sbatch --array": lambda: shell_seconds(
            cluster, f"sbatch --array=0-{jobs - 1} -o /dev/null --wrap true >/dev/null"),
        PACKED: lambda: wlgen_seconds(cluster, jobs, workers, arrays=True),
    }
    if jobs <= pack.MAX_TASKS:   # more go as several arrays: no single call to compare
        clients[SAME_ARRAY] = same_jobs_array(cluster, jobs)
    report(measure(cluster, jobs, clients, repeat), workers)


LOGIN_LOOP = "sequential sbatch loop, login node"


def login_rates(cluster: Cluster, jobs: int, workers: int, repeat: int) -> None:
    """The login node's figures: the host's sbatch loop and wlgen through LocalRunner."""
    os.environ.update(login.start(cluster))
    loop = f"for i in $(seq {jobs}); do {SBATCH}; done"
    clients = {
        LOGIN_LOOP: lambda: host_seconds(loop),
        f"{PER_JOB}, login node": lambda: wlgen_seconds(cluster, jobs, workers, arrays=False,
                                                        via_login=True),
        f"{PACKED}, login node": lambda: wlgen_seconds(cluster, jobs, workers, arrays=True,
                                                       via_login=True),
    }
    figures = measure(cluster, jobs, clients, repeat)
    for name, rate in figures.items():
        print(f"  {name:<40} {rate:9.1f} jobs/s  ({rate / figures[LOGIN_LOOP]:.2f}x the "
              "login node's loop)")


def report(figures: dict[str, float], workers: int) -> None:
    for name, rate in figures.items():
        print(f"  {name:<40} {rate:9.1f} jobs/s")
    seq = figures["sequential sbatch loop"]
    per_job_best = max(r for n, r in figures.items() if "array" not in n)
    best = max(figures.values())
    for name in (f"{PER_JOB} ({workers} workers)", PACKED):
        print(f"  {name}: {figures[name] / seq:.2f}x the sequential loop (target >= 3x), "
              f"{figures[name] / best:.0%} of the best client (target >= 80%), "
              f"{figures[name] / per_job_best:.0%} of the best one-job-a-call client")
    if SAME_ARRAY in figures:
        print(f"  {PACKED}: {figures[PACKED] / figures[SAME_ARRAY]:.0%} of {SAME_ARRAY}")


def storm(cluster: Cluster, jobs: int, workers: int) -> None:
    backend = make_backend(client="cli", cluster=cluster.name, workers=workers)
    began = time.monotonic()
    result = run_workload(StormSource(jobs, runtime="1", seed=0), backend, kind="storm")
    m = result.metrics
    print(f"  storm of {jobs}: {time.monotonic() - began:.0f} s, submitted {m['submitted']}, "
          f"completed {m['completed']}, failed {m['failed']}, rejected {m['rejected']}, "
          f"unaccounted {m['unaccounted']}, run dir {result.run_dir}")


def distinct(cluster: Cluster, jobs: int, workers: list[int], repeat: int,
             only: str = "") -> None:
    import storm_distinct   # bench/ is on the path when run as a script
    print(f"cluster {cluster.name}: {cluster.spec.nodes} drained nodes x {cluster.spec.cpus} "
          f"CPUs, Slurm {cluster.slurm_version}; {jobs} jobs of distinct shapes per client, "
          f"median of {repeat} rounds; {os.cpu_count()} cores")
    storm_distinct.report(storm_distinct.measure(cluster, jobs, workers, repeat, only), jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cluster", default="wlgen")
    parser.add_argument("--jobs", type=int, default=400)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--storm", type=int, default=10000, help="0: skip the large storm")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds per client; each figure is the median")
    parser.add_argument("--distinct", type=int, default=0, metavar="N",
                        help="only a storm of N jobs of distinct shapes (no arrays possible), "
                             "every client side by side (sbatch loop, xargs, wlgen CLI and "
                             "REST, a plain HTTP client), with CPU per job")
    parser.add_argument("--distinct-workers", default="8,16",
                        help="wlgen workers (and HTTP threads) tried with --distinct")
    parser.add_argument("--distinct-only", default="", metavar="WORDS",
                        help="with --distinct: only the clients whose name holds one of "
                             "these comma-separated words (e.g. 'kept alive,HTTP')")
    parser.add_argument("--login", action="store_true",
                        help="also from this host as a login node (wlgen cluster login)")
    args = parser.parse_args()
    cluster = Cluster.load(args.cluster)
    if args.distinct:
        distinct(cluster, args.distinct, [int(w) for w in args.distinct_workers.split(",")],
                 args.repeat, args.distinct_only)
        return
    print(f"cluster {cluster.name}: {cluster.spec.nodes} nodes x {cluster.spec.cpus} CPUs, "
          f"Slurm {cluster.slurm_version}; {args.jobs} jobs per client, median of "
          f"{args.repeat} rounds")
    rates(cluster, args.jobs, args.workers, args.repeat)
    if args.login:
        login_rates(cluster, args.jobs, args.workers, args.repeat)
    if args.storm:
        storm(cluster, args.storm, args.workers)


if __name__ == "__main__":
    main()

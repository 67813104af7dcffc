"""A storm of jobs that cannot be packed (every job its own time limit), client by client.

Run through ``bench/storm_slurm.py --distinct N`` (see its docstring); this module holds
the clients and the CPU accounting. Each client submits the same N jobs of distinct
shapes to drained nodes; each figure is timed from the first submit to the last job id,
and the CPU each part spent meanwhile is read from the containers' cgroups (slurmctld,
munged, sbatch and the relay agent in the controller's; slurmrestd in its own) and from
this process (wlgen's Python): CPU per job does not depend on the machine's load the way
jobs/s does. The plain HTTP client is the ceiling of slurmrestd: the same POST bodies
wlgen sends, pre-encoded, on kept-alive connections, one thread each, nothing else.
"""

from __future__ import annotations

import functools
import http.client
import itertools
import json
import os
import resource
import statistics
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

import simpy

from workload.backends.slurm import make_backend
from workload.backends.slurm.backend import SlurmBackend
from workload.backends.slurm.rest import RestSlurmClient
from workload.backends.slurm.restapi import job_description
from workload.backends.slurm.request import submit_request
from workload.backends.slurm.script import build_batch_script
from workload.cluster import Cluster, wait_for
from workload.event import REJECTED, Event
from workload.spec import JobSpec

SBATCH_T = "sbatch --parsable -o /dev/null -t {t} --wrap true >/dev/null"
PARTS = ("ctld", "rest")   # containers whose CPU is read (the controller's holds sbatch)


def distinct_specs(jobs: int) -> list[JobSpec]:
    """``jobs`` jobs of distinct shapes (time limits 1..N minutes): no two pack together."""
    return [JobSpec(seq=i, submit_s=0, procs=1, runtime_s=1, time_limit_s=60 * (i + 1),
                    user="u1") for i in range(jobs)]


@dataclass
class Sample:
    seconds: float
    cpu_ms: dict[str, float]   # part -> CPU ms spent while the client ran
    load: float                # the 1-minute load average when it began


@functools.cache
def cpuacct_file(cluster: Cluster, role: str) -> str:
    """The cpuacct.usage file of container ``role`` (cgroup v1, as podman sets it up
    here; ``podman exec`` processes join the container's cgroup, so it counts them)."""
    pid = subprocess.run(["podman", "inspect", "--format", "{{.State.Pid}}",
                          cluster.container(role)], env=cluster.exec_env(),
                         capture_output=True, text=True, check=True).stdout.strip()
    with open(f"/proc/{pid}/cgroup") as lines:
        path = next(line.split(":", 2)[2].strip() for line in lines
                    if "cpuacct" in line.split(":")[1].split(","))
    return f"/sys/fs/cgroup/cpuacct{path}/cpuacct.usage"


def cgroup_ns(cluster: Cluster, role: str) -> int:
    """CPU ns the container ``role`` used so far."""
    with open(cpuacct_file(cluster, role)) as usage:
        return int(usage.read())


def own_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def timed(cluster: Cluster, run: Callable[[], float]) -> Sample:
    """``run()``'s seconds with the CPU of each part meanwhile."""
    load = os.getloadavg()[0]
    before = {role: cgroup_ns(cluster, role) for role in PARTS}
    mine = own_cpu_s()
    seconds = run()
    cpu = {role: (cgroup_ns(cluster, role) - before[role]) / 1e6 for role in PARTS}
    cpu["wlgen"] = (own_cpu_s() - mine) * 1000
    return Sample(seconds, cpu, load)


def shell_loop(cluster: Cluster, jobs: int, parallel: int) -> Callable[[], float]:
    """sbatch in the controller, one distinct time limit each: a loop, or xargs -P."""
    from storm_slurm import shell_seconds   # bench/ is on the path when run as a script
    if parallel <= 1:
        body = f"for t in $(seq {jobs}); do {SBATCH_T.format(t='$t')}; done"
    else:
        body = f"seq {jobs} | xargs -P{parallel} -I{{}} sh -c '{SBATCH_T.format(t='{}')}'"
    return lambda: shell_seconds(cluster, body)


def wlgen_client(cluster: Cluster, jobs: int, client: str, workers: int,
                 keep_alive: bool = True, watch: bool = True) -> Callable[[], float]:
    """wlgen's Slurm backend, one request a job (``arrays=False`` changes nothing here:
    the shapes differ), set up (users, tokens, relay) before the clock. ``watch=False``
    stops its watcher (the queue polls of a run) to show what submitting alone costs."""
    def run() -> float:
        from storm_slurm import TimedTracker
        backend = make_backend(client=client, cluster=cluster.name, workers=workers,
                               arrays=False)
        assert isinstance(backend, SlurmBackend)
        if isinstance(backend.client, RestSlurmClient):
            backend.client.http.keep_alive = keep_alive
        backend.tracker = accepted = TimedTracker()
        rejected: list[Event] = []
        backend.attach(simpy.Environment(),
                       lambda event: rejected.append(event) if event.state == REJECTED
                       else None, time.time(), f"dist{time.time_ns()}")
        if not watch:
            assert backend.watcher is not None
            backend.watcher.stop()
        backend.prepare_users(["u1"])
        backend.describe()
        began = time.monotonic()
        for spec in distinct_specs(jobs):
            backend.submit(spec)
        wait_for(lambda: len(accepted.tracks) + len(rejected) >= jobs, 900,
                 "every job accepted or rejected", interval=0.01)
        backend.close()
        if rejected:
            raise SystemExit(f"{len(rejected)} job(s) rejected: {rejected[0].reason}")
        return accepted.last - began
    return run


def http_ceiling(cluster: Cluster, jobs: int, threads: int) -> Callable[[], float]:
    """The same job/submit bodies as wlgen's REST client, pre-encoded, posted by
    ``threads`` threads on kept-alive connections: what slurmrestd answers at most."""
    def run() -> float:
        backend = make_backend(client="rest", cluster=cluster.name, arrays=False)
        assert isinstance(backend, SlurmBackend) and isinstance(backend.client,
                                                                RestSlurmClient)
        rest, run_id = backend.client, f"http{time.time_ns()}"
        backend.users.ensure("u1")
        backend.close()
        bodies = [json.dumps(job_description(submit_request(
            spec, run_id, build_batch_script(spec), account="wlgen",
            mem_per_cpu_mb=cluster.spec.mem_per_cpu_mb), rest.environment, rest.api)).encode()
            for spec in distinct_specs(jobs)]
        headers = {"X-SLURM-USER-TOKEN": cluster.token("u1", lifespan=3600),
                   "X-SLURM-USER-NAME": "u1", "Content-Type": "application/json"}
        return post_all(cluster.rest_url, rest.api.slurm("job/submit"), bodies, headers,
                        threads)
    return run


def post_all(url: str, path: str, bodies: list[bytes], headers: dict[str, str],
             threads: int) -> float:
    """Seconds for ``threads`` kept-alive connections to POST every body (each answer
    must carry a job id, or the bench stops)."""
    parts = urllib.parse.urlsplit(url)
    turns, failures = itertools.count(), []

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
        while (i := next(turns)) < len(bodies):
            conn.request("POST", path, body=bodies[i], headers=headers)
            reply = conn.getresponse()
            raw = reply.read()
            if reply.status != 200 or b"job_id" not in raw:
                failures.append(f"HTTP {reply.status}: {raw[:200]!r}")
        conn.close()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} POST(s) failed: {failures[0]}")
    return time.monotonic() - began


def clients(cluster: Cluster, jobs: int, workers: list[int], only: str = ""
            ) -> dict[str, Callable[[], float]]:
    """Every client by name; ``only``: those whose name holds one of these
    comma-separated words."""
    out: dict[str, Callable[[], float]] = {
        SEQ: shell_loop(cluster, jobs, 1),
        "8 parallel sbatch (xargs -P8)": shell_loop(cluster, jobs, 8),
        "16 parallel sbatch (xargs -P16)": shell_loop(cluster, jobs, 16),
        f"{REST_BEFORE} (8 workers)": wlgen_client(cluster, jobs, "rest", 8, keep_alive=False),
    }
    for count in workers:
        out[f"{CLI} ({count} workers)"] = wlgen_client(cluster, jobs, "cli", count)
        out[f"{REST} ({count} workers)"] = wlgen_client(cluster, jobs, "rest", count)
        out[f"{CEILING} ({count} threads)"] = http_ceiling(cluster, jobs, count)
        out[f"{REST} ({count} workers), {NO_WATCH}"] = wlgen_client(
            cluster, jobs, "rest", count, watch=False)
        out[f"{CLI} ({count} workers), {NO_WATCH}"] = wlgen_client(
            cluster, jobs, "cli", count, watch=False)
    words = [word for word in only.split(",") if word]
    return {name: run for name, run in out.items()
            if not words or any(word in name for word in words)}


SEQ = "sequential sbatch loop"
CLI = "wlgen CLI client"
REST = "wlgen REST, kept alive"
REST_BEFORE = "wlgen REST, a connection a request"
CEILING = "plain HTTP client, kept alive"
NO_WATCH = "no watcher"


def measure(cluster: Cluster, jobs: int, workers: list[int], repeat: int, only: str = ""
            ) -> dict[str, list[Sample]]:
    """Every client ``repeat`` times, interleaved (each round starts with another
    client), the queue emptied and slurmctld settled between any two."""
    from storm_slurm import clean, drained
    runs = clients(cluster, jobs, workers, only)
    names = list(runs)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    with drained(cluster):
        clean(cluster)
        for round_ in range(repeat):
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                got = timed(cluster, runs[name])
                samples[name].append(got)
                cpu = ", ".join(f"{part} {ms / jobs:.2f}" for part, ms in got.cpu_ms.items())
                print(f"    round {round_ + 1} {name}: {jobs / got.seconds:.1f} jobs/s, "
                      f"CPU ms a job {cpu} (load {got.load:.1f})", flush=True)
                clean(cluster)
    return samples


def report(samples: dict[str, list[Sample]], jobs: int) -> None:
    """Median jobs/s and CPU ms a job of each client, then the ratios the goals name."""
    rate = {name: statistics.median(jobs / s.seconds for s in runs)
            for name, runs in samples.items()}
    loads = [s.load for runs in samples.values() for s in runs]
    print(f"  {jobs} jobs of distinct shapes; load average (1 min) at the start of each "
          f"client: median {statistics.median(loads):.1f}, {min(loads):.1f}-{max(loads):.1f}")
    print(f"  {'client':<46} {'jobs/s':>8}   CPU ms a job: ctld+sbatch  slurmrestd  wlgen")
    for name, runs in samples.items():
        cpu = {part: statistics.median(s.cpu_ms[part] for s in runs) / jobs
               for part in (*PARTS, "wlgen")}
        print(f"  {name:<46} {rate[name]:8.1f}   {cpu['ctld']:10.2f} {cpu['rest']:11.2f} "
              f"{cpu['wlgen']:6.2f}")
    parallel = [r for n, r in rate.items() if "parallel sbatch" in n]
    seq, best_parallel = rate.get(SEQ), max(parallel, default=None)
    for name, value in rate.items():   # (a partial run, --distinct-only, may lack some)
        if name.startswith(CLI) and seq and best_parallel:
            print(f"  {name}: {value / seq:.2f}x the sequential loop (goal >= 3x), "
                  f"{value / best_parallel:.0%} of the best parallel sbatch (goal >= 100%)")
    before = rate.get(f"{REST_BEFORE} (8 workers)")
    for name, value in rate.items():
        count = name.split("(")[-1].split()[0]
        ceiling = rate.get(f"{CEILING} ({count} threads)")
        if name.startswith(REST + " (") and before and ceiling:
            print(f"  {name}: {value / before:.2f}x a connection a request (goal >= 3x), "
                  f"{value / ceiling:.0%} of the plain HTTP client's {ceiling:.0f} jobs/s "
                  f"with as many threads (goal >= 80%)")

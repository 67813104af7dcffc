"""Simulator speed: end-to-end `wlgen replay` of model workloads, jobs/s and peak memory.

Cases (issue 15: Slurm mode KTH-class <= 3 s, 1M <= 5 min in 1 GB; textbook EASY
KTH-class <= 0.8 s, 1M <= 25 s):
  kth-class  28,490 Lublin-Feitelson jobs on 100 processors (KTH SP2's size and count;
             no KTH trace ships in tests/data, so a Lublin trace of that shape stands in)
  1m         1,000,000 Lublin-Feitelson jobs on 256 processors
Each case runs `wlgen replay` in a child process (trace parsing, simulation, writing
events.jsonl, schedule.swf and metrics) with the textbook policies (FCFS, EASY) and
Slurm's own scheduling (`--policy slurm`: multifactor priority with fair-share and age,
Fair Tree, the main loop and backfill with bf_max_job_test=500; the container cluster's
settings) side by side. Wall time is an upper bound on a shared machine; CPU time is
the child's own.

    python bench/sim_speed.py [--cases kth-class,1m] [--policies fcfs,easy,slurm] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {"kth-class": (28_490, 100), "1m": (1_000_000, 256)}


def generate(path: Path, jobs: int, procs: int) -> None:
    subprocess.run([sys.executable, "-m", "workload.cli.main", "generate", "lublin", "--jobs",
                    str(jobs), "--procs", str(procs), "--seed", "1", "-o", str(path)],
                   check=True, stderr=subprocess.DEVNULL)


def replay(trace: Path, policy: str, out: Path) -> tuple[float, float, float, dict]:
    """(wall seconds, CPU seconds, child peak RSS MB, metrics) of one replay."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "workload.cli.main", "replay", str(trace),
                           "--backend", "sim", "--policy", policy, "--out", str(out), "--json"],
                          check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss of children is the largest child so far: fine, the largest case runs last.
    return wall, cpu, after.ru_maxrss / 1024, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="kth-class,1m")
    parser.add_argument("--policies", default="fcfs,easy,slurm")
    parser.add_argument("--repeat", type=int, default=3, help="runs per small case (best kept)")
    args = parser.parse_args()
    print(f"{'case':<10} {'policy':<6} {'jobs':>9} {'wall s':>8} {'cpu s':>7} {'jobs/s':>9} "
          f"{'peak MB':>8} {'util':>6} {'wait mean s':>12}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("WLGEN_BENCH_TMP")) as tmp:
        for case in args.cases.split(","):
            jobs, procs = CASES[case]
            trace = Path(tmp) / f"{case}.swf"
            generate(trace, jobs, procs)
            repeat = args.repeat if jobs < 100_000 else 1
            for policy in args.policies.split(","):
                runs = [replay(trace, policy, Path(tmp) / f"{case}-{policy}-{i}")
                        for i in range(repeat)]
                wall, cpu, rss, metrics = min(runs, key=lambda r: r[0])
                print(f"{case:<10} {policy:<6} {jobs:>9,} {wall:>8.2f} {cpu:>7.2f} "
                      f"{jobs / wall:>9,.0f} {rss:>8.0f} {metrics['utilization']:>6.2f} "
                      f"{metrics['wait_mean_s']:>12,.0f}",
                      flush=True)


if __name__ == "__main__":
    main()

"""A 64-variant `wlgen matrix` sweep over a KTH-class workload: -j 1, -j 2 and the container
cluster (--executor slurm -j 2: a job array on 2 one-CPU nodes) side by side.

The workload: 28,490 Lublin-Feitelson jobs on 100 one-CPU nodes (KTH SP2's size and job
count; no KTH trace ships in tests/data, so a Lublin workload of that shape stands in),
textbook EASY, checks no_overcommit and all_accounted. The 64 variants: 32 seeds x
{100, 128} nodes. Each mode runs `wlgen matrix` in a child process (loading and
validating 64 scenarios, 64 simulations, their run directories and checks, the
comparison); wall time, the children's CPU time and the load average are printed, and
the comparisons must be identical (the sweep is deterministic). The cluster mode's wall
time includes bringing its cluster up and down; the span of its array (first task's
start to last task's end, from submitit's logs) is printed apart. Its CPU time is this
host's side only (the jobs run in the node containers).

Wall times are upper bounds on a shared machine: the load average says how shared.

    python bench/matrix_sweep.py [--modes 1,2,slurm] [--seeds 32] [--jobs 28490]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

SCENARIO = """\
name: kth-class-sweep
description: {jobs} Lublin-Feitelson jobs on 100 one-CPU nodes (KTH SP2's shape)
cluster: {{nodes: 100, cpus: 1}}
workload: {{kind: lublin, jobs: {jobs}, procs: 100, seed: 1}}
checks:
  invariants: [no_overcommit, all_accounted]
"""


def sweep(scenario: Path, seeds: int, mode: str, out: Path) -> tuple[float, float, str, int]:
    """(wall s, children's CPU s, comparison text, exit code) of one `wlgen matrix`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "workload.cli.main", "matrix", str(scenario),
         "--vary", "workload.seed=" + ",".join(str(s) for s in range(1, seeds + 1)),
         "--vary", "cluster.nodes=100,128", "--out", str(out),
         *(["-j", "2", "--executor", "slurm", "--cluster", f"wlgen-bench-{os.getpid()}"]
           if mode == "slurm" else ["-j", mode])],
        capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if mode == "slurm":
        print(f"  (cluster: array span {array_span(out / '.submitit'):.1f} s of the wall time)",
              flush=True)
    if done.returncode not in (0, 1):
        sys.exit(f"matrix -j {mode} exited {done.returncode}: {done.stderr[-2000:]}")
    return wall, cpu, done.stdout, done.returncode


def array_span(folder: Path) -> float:
    """First task's start to last task's end, from submitit's log lines' timestamps."""
    stamps = [datetime.strptime(m, "%Y-%m-%d %H:%M:%S,%f").timestamp()
              for log in folder.glob("*_log.out")
              for m in re.findall(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+)\)",
                                  log.read_text())]
    return max(stamps) - min(stamps) if stamps else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="1,2,slurm",
                        help="-j values (or slurm: the container cluster), side by side")
    parser.add_argument("--seeds", type=int, default=32, help="variants = 2 x seeds")
    parser.add_argument("--jobs", type=int, default=28_490, help="jobs per variant")
    args = parser.parse_args()
    variants = 2 * args.seeds
    print(f"{variants} variants x {args.jobs:,} Lublin jobs on 100-128 CPUs; "
          f"{os.cpu_count()} CPUs here")
    print(f"{'mode':<6} {'wall s':>8} {'cpu s':>8} {'variants/s':>11} {'vs -j 1':>8} "
          f"{'load avg before/after':>22}")
    texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=os.environ.get("WLGEN_BENCH_TMP")) as tmp:
        scenario = Path(tmp) / "kth.yaml"
        scenario.write_text(SCENARIO.format(jobs=args.jobs))
        base = None
        for mode in args.modes.split(","):
            load0 = os.getloadavg()[0]
            wall, cpu, texts[mode], _ = sweep(scenario, args.seeds, mode, Path(tmp) / f"j{mode}")
            base = base or wall
            label = "cluster" if mode == "slurm" else f"-j {mode}"
            print(f"{label:<7}{wall:>8.1f} {cpu:>8.1f} {variants / wall:>11.2f} "
                  f"{base / wall:>7.2f}x {load0:>10.1f} / {os.getloadavg()[0]:<10.1f}",
                  flush=True)
    same = len(set(texts.values())) == 1
    print(f"comparisons identical across modes: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

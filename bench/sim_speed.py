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
the child's own. The machine's load average is printed before and after.

Children run with Python's bytecode cache on (in a temporary PYTHONPYCACHEPREFIX, never
the source tree), filled by one untimed 100-job replay per source tree: an installed
wlgen has its .pyc files, and compiling the sources again each run
(PYTHONDONTWRITEBYTECODE) would be a large part of a short run's time. --baseline REV
adds the same policies run with revision REV's workload/ (rows POLICY@REV; a revision
before Slurm mode existed has no ``slurm`` policy: leave it out of --policies).

AccaSim 1.1.3 (EASY backfilling, FirstFit, the same trace and system) is the "accasim"
row where its interpreter exists (--accasim, default /tmp/accasim-venv/bin/python; set
up with `python3 -m venv /tmp/accasim-venv && /tmp/accasim-venv/bin/pip install
accasim==1.1.3`), run by bench/accasim_run.py, on cases under --accasim-max jobs (its
KTH-class run alone takes ten times wlgen's).

The textbook policies run on the simulator's fast engine (workload/backends/sim/vclock.py;
settings.json ``sim_engine``); --engines fast,simpy adds rows POLICY/simpy run with
WLGEN_SIM_ENGINE=simpy, the engine before it, side by side.

    python bench/sim_speed.py [--cases kth-class,1m] [--policies fcfs,easy,slurm] [--repeat 3]
                              [--engines fast[,simpy]] [--baseline REV]
                              [--accasim PYTHON] [--accasim-max JOBS]
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
from functools import partial
from pathlib import Path

CASES = {"kth-class": (28_490, 100), "1m": (1_000_000, 256)}
ACCASIM = "/tmp/accasim-venv/bin/python"
HERE = Path(__file__).resolve().parent


def child_env(pycache: Path) -> dict[str, str]:
    """The children's environment: bytecode cached outside the tree (see the docstring)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def generate(path: Path, jobs: int, procs: int) -> None:
    subprocess.run([sys.executable, "-m", "workload.cli.main", "generate", "lublin", "--jobs",
                    str(jobs), "--procs", str(procs), "--seed", "1", "-o", str(path)],
                   check=True, stderr=subprocess.DEVNULL)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, child peak RSS MB, stdout) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # cwd outside the source tree: ``-m`` puts the cwd first on sys.path, before PYTHONPATH
    done = subprocess.run(command, check=True, capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # ru_maxrss of children is the largest child so far: fine, the largest case runs last.
    return wall, cpu, after.ru_maxrss / 1024, done.stdout


def replay(trace: Path, policy: str, out: Path,
           env: dict[str, str]) -> tuple[float, float, float, dict]:
    """(wall seconds, CPU seconds, child peak RSS MB, metrics) of one replay."""
    wall, cpu, rss, stdout = timed(
        [sys.executable, "-m", "workload.cli.main", "replay", str(trace), "--backend", "sim",
         "--policy", policy, "--out", str(out), "--json"], env)
    return wall, cpu, rss, json.loads(stdout)


def accasim(python: str, trace: Path, procs: int, out: Path,
            env: dict[str, str]) -> tuple[float, float, float, dict]:
    """The same as replay() for AccaSim (EASY), its metrics read from its statistics."""
    wall, cpu, rss, _ = timed([python, str(HERE / "accasim_run.py"), str(trace), str(procs),
                               "1", str(out)], env)
    stats = (out / f"stats-{trace.stem}.swf").read_text()
    wait = float(stats.split("Avg. waiting times:")[1].split()[0])
    return wall, cpu, rss, {"utilization": float("nan"), "wait_mean_s": wait}


def baseline_env(rev: str, tmp: Path) -> dict[str, str]:
    """Children's environment importing ``workload`` from revision ``rev`` (git archive)."""
    tree = tmp / "baseline"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", rev, "workload"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    env = child_env(tmp / "pycache-baseline")
    env["PYTHONPATH"] = str(tree)
    return env


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="kth-class,1m")
    parser.add_argument("--policies", default="fcfs,easy,slurm")
    parser.add_argument("--repeat", type=int, default=3, help="runs per small case (best kept)")
    parser.add_argument("--accasim", default=ACCASIM, help="AccaSim's python (skipped if absent)")
    parser.add_argument("--accasim-max", type=int, default=100_000,
                        help="run AccaSim only on cases of fewer jobs than this")
    parser.add_argument("--engines", default="fast",
                        help="textbook engines to run: fast, simpy (rows POLICY/simpy)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also run --policies with git revision REV's workload/ "
                             "(rows POLICY@REV), side by side under the same load")
    args = parser.parse_args()
    print(f"load average before: {load()} ({os.cpu_count()} CPUs)")
    width = 10 + (len(args.baseline) + 1 if args.baseline else 0)   # "slurm@REV" rows
    print(f"{'case':<10} {'policy':<{width}} {'jobs':>9} {'wall s':>8} {'cpu s':>7} {'jobs/s':>9} "
          f"{'peak MB':>8} {'util':>6} {'wait mean s':>12}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("WLGEN_BENCH_TMP")) as tmp:
        env = child_env(Path(tmp) / "pycache")
        base_env = baseline_env(args.baseline, Path(tmp)) if args.baseline else None
        warm = Path(tmp) / "warm.swf"   # a tiny replay per tree: bytecode cached, as installed
        generate(warm, 100, 16)
        for tree_env in filter(None, (env, base_env)):
            replay(warm, "easy", Path(tmp) / f"warm-{len(tree_env)}-{id(tree_env)}", tree_env)
        for case in args.cases.split(","):
            jobs, procs = CASES[case]
            trace = Path(tmp) / f"{case}.swf"
            generate(trace, jobs, procs)
            repeat = args.repeat if jobs < 100_000 else 1
            rows = [(policy, partial(replay, trace, policy, env=env))
                    for policy in args.policies.split(",")]
            if "simpy" in args.engines.split(","):
                simpy_env = {**env, "WLGEN_SIM_ENGINE": "simpy"}
                rows += [(f"{policy}/simpy", partial(replay, trace, policy, env=simpy_env))
                         for policy in args.policies.split(",") if policy != "slurm"]
            if base_env is not None:
                rows += [(f"{policy}@{args.baseline}", partial(replay, trace, policy, env=base_env))
                         for policy in args.policies.split(",")]
            if Path(args.accasim).exists() and jobs < args.accasim_max:
                rows.append(("accasim", partial(accasim, args.accasim, trace, procs, env=env)))
            for name, run in rows:
                runs = [run(out=Path(tmp) / f"{case}-{name}-{i}") for i in range(repeat)]
                wall, cpu, rss, metrics = min(runs, key=lambda r: r[0])
                print(f"{case:<10} {name:<{width}} {jobs:>9,} {wall:>8.2f} {cpu:>7.2f} "
                      f"{jobs / wall:>9,.0f} {rss:>8.0f} {metrics['utilization']:>6.2f} "
                      f"{metrics['wait_mean_s']:>12,.0f}",
                      flush=True)
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()

"""How close the jobs/ kernels come to their targets (issue 4, point 5).

Prints, for each kernel, the runtime error against --seconds (target +-1%), and for
the cpu kernel the duty measured as cpu_s / runtime_s for duty 0.1..1.0 (target +-2
points). "wall" is the whole process as a launcher sees it, start-up included.

    python3 bench/kernel_accuracy.py                 # T = 3 s, 2 repeats, mpirun -np 2
    python3 bench/kernel_accuracy.py --seconds 10 --repeat 3 --ranks 4
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from jobs.registry import KERNELS  # noqa: E402  (needs ROOT on the path first)

COLLECTIVE = [k.name for k in KERNELS.values() if k.collective and k.name != "mixed"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMPI_ALLOW_RUN_AS_ROOT": "1",
       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_mpi_yield_when_idle": "1"}


def run(args: list[str], ranks: int) -> tuple[dict, float]:
    """One kernel run: its JSON record and the wall time of the whole process."""
    cmd = [sys.executable, "-m", "jobs", *args]
    if ranks > 1:
        cmd = ["mpirun", "-np", str(ranks), "--oversubscribe", *cmd]
    began = time.monotonic()
    out = subprocess.run(cmd, env=ENV, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.monotonic() - began
    return json.loads(out.stdout.splitlines()[-1]), wall


def runtime_rows(names: list[str], ranks: int, opts: argparse.Namespace) -> list[float]:
    """Print one row a kernel; return every run's relative runtime error."""
    errors: list[float] = []
    for name in names:
        runs = [run([name, "--seconds", str(opts.seconds)], ranks) for _ in range(opts.repeat)]
        errs = [r["runtime_s"] / opts.seconds - 1 for r, _ in runs]
        walls = [w / opts.seconds - 1 for _, w in runs]
        errors += errs
        worst = max(errs, key=abs)
        print(f"{name:<10} {ranks:>5} {statistics.mean(errs):>+9.3%} {worst:>+9.3%} "
              f"{statistics.mean(walls):>+9.2%}  {'ok' if abs(worst) <= 0.01 else 'MISS'}")
    return errors


def duty_rows(opts: argparse.Namespace) -> list[float]:
    """Print one row a duty; return every run's error in duty points."""
    errors: list[float] = []
    for duty in opts.duties:
        args = ["cpu", "--seconds", str(opts.seconds), "--duty", str(duty)]
        records = [run(args, 1)[0] for _ in range(opts.repeat)]
        measured = [r["duty"] for r in records]
        starved = max(r["runq_wait_s"] / r["runtime_s"] for r in records)
        errs = [m - duty for m in measured]
        errors += errs
        worst = max(errs, key=abs)
        print(f"{duty:>5.1f} {statistics.mean(measured):>9.4f} {worst * 100:>+10.2f} "
              f"{worst / duty:>+9.2%} {os.getloadavg()[0]:>6.2f} {starved:>8.1%}  "
              f"{'ok' if abs(worst) <= 0.02 else 'MISS'}")
    return errors


def runtime_table(opts: argparse.Namespace) -> None:
    print(f"# runtime error vs target T={opts.seconds} s (target +-1%), {os.cpu_count()} cores")
    print(f"{'kernel':<10} {'ranks':>5} {'mean':>9} {'worst':>9} {'wall':>9}")
    errors = runtime_rows(sorted(KERNELS), 1, opts)
    if shutil.which("mpirun") and opts.ranks > 1:
        errors += runtime_rows(COLLECTIVE + ["mixed", "cpu"], opts.ranks, opts)
    else:
        print("# mpirun not on PATH: multi-rank rows skipped")
    print(f"# worst runtime error {max(map(abs, errors)):.3%} over {len(errors)} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="target T per run")
    parser.add_argument("--repeat", type=int, default=2, help="runs per row")
    parser.add_argument("--ranks", type=int, default=2, help="mpirun ranks, collectives")
    parser.add_argument("--duties", type=lambda t: [float(d) for d in t.split(",")],
                        default=[d / 10 for d in range(1, 11)], help="e.g. 0.8,0.9,1.0")
    parser.add_argument("--only-duty", action="store_true", help="skip the runtime table")
    opts = parser.parse_args()
    if not opts.only_duty:
        runtime_table(opts)
    print(f"\n# cpu duty = cpu_s / runtime_s (target +-2 points), T={opts.seconds} s")
    # A duty needs that much of a free core: other load on the machine shows as a
    # shortfall at high duty, hence the load average and the share of the run spent
    # runnable but waiting for a core ("starved", from /proc schedstat) beside each row.
    print(f"{'duty':>5} {'measured':>9} {'err(pts)':>10} {'err(rel)':>9} {'load1':>6} "
          f"{'starved':>8}")
    duty_errors = duty_rows(opts)
    print(f"# worst duty error {max(map(abs, duty_errors)) * 100:.2f} points")


if __name__ == "__main__":
    main()

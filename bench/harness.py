"""How long the invariant checks, compare and report take on a big simulated run.

    python3 bench/harness.py [JOBS]      # default 100000

Prints one line per step: seconds, and jobs per second where it applies.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from workload.checks import INVARIANTS, load_observed
from workload.compare import compare_runs, load_run
from workload.report import write_report
from workload.sources import StormSource
from workload.testing import wlgen_run


def timed(label: str, jobs: int, func):
    began = time.perf_counter()
    value = func()
    took = time.perf_counter() - began
    print(f"{label:<28} {took:8.2f} s  {jobs / took:>12,.0f} jobs/s")
    return value


def main(jobs: int) -> None:
    out = Path(tempfile.mkdtemp(prefix="wlgen-bench-"))
    source = dict(jobs=jobs, rate=5.0, poisson=True, size="pow2:1-64", runtime="exp:300", seed=1)
    for policy in ("fcfs", "easy"):
        timed(f"simulate ({policy})", jobs,
              lambda policy=policy: wlgen_run(StormSource(**source), nodes=32, cpus=32,
                                              policy=policy, out=out / policy))
    obs = timed("load run directory", jobs, lambda: load_observed(out / "easy"))
    for name, check in INVARIANTS.items():
        result = timed(f"check {name}", jobs, lambda check=check: check(obs))
        assert result.passed, result.summary()
    runs = [load_run(out / "fcfs"), load_run(out / "easy")]
    timed("compare fcfs vs easy", jobs, lambda: compare_runs(runs))
    timed("report (2 runs)", jobs, lambda: write_report([out / "fcfs", out / "easy"],
                                                        out / "report.html"))
    print(f"report: {(out / 'report.html').stat().st_size / 1e6:.1f} MB in {out}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

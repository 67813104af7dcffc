"""Where a simulated replay's time goes: cProfile of one `wlgen replay`, by component.

Issue 15's speed goals (bench/sim_speed.py measures them) are not met by trimming one
hot spot: the time is spread over the simulator's scheduling, recording, parsing and
simpy. This prints each component's share of the profiled time (own time of its
functions, plus the built-ins they call) so the README can say where the time goes and
a later change can be checked against it. Shares, not seconds: cProfile roughly doubles
a run's time, and not evenly; start-up (imports) is given apart, as the CPU time of a
whole 100-job replay, unprofiled.

    python bench/sim_profile.py [--case kth-class|1m|JOBS:PROCS] [--policy easy|fcfs|slurm]
                                [--top 20]

The trace is the same Lublin-Feitelson one bench/sim_speed.py makes (seed 1).
"""

from __future__ import annotations

import argparse
import collections
import os
import pstats
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from sim_speed import CASES, child_env, generate  # noqa: E402  (a sibling bench script)

RECORDING = ("workload/event.py", "run/recorder.py", "run/schedule.py", "run/swfout.py",
             "run/metrics.py", "sinks/jsonl.py", "specjson.py", "rundir.py", "npstats.py",
             "swfheader.py")
PARSING = ("workload/swf/", "workload/sources/", "workload/spec.py")


def component(path: str, name: str) -> str:
    """The part of wlgen (or of the process) a function belongs to."""
    rules = (
        (("simpy/",), "simpy event loop"),
        (("slurm/plan.py",), "slurm: backfill planning"),
        (("slurm/priority.py", "slurm/fairshare.py"), "slurm: priority + fair-share"),
        (("backends/sim/slurm/",), "slurm: engine (passes, triggers, start/end)"),
        (("backends/sim/",), "textbook: scheduling + allocation"),
        (RECORDING, "recording (events.jsonl, schedule.swf, requests.jsonl, metrics)"),
        (PARSING, "trace parsing + JobSpec"),
        (("run/generator.py",), "generator (arrivals, event dispatch)"),
        (("importlib", "<frozen"), "start-up (imports)"),
    )
    if path.endswith("slurm/passes.py") and name == "backfill":
        return "slurm: backfill planning"
    for needles, label in rules:
        if any(n in path for n in needles):
            return label
    return "other (" + path.rsplit("/", 1)[-1] + ")"


def shares(profile: Path) -> tuple[float, list[tuple[str, float]]]:
    """(profiled seconds, [(component, seconds)] largest first); a built-in's time goes
    to the component of the function that called it."""
    total: collections.defaultdict[str, float] = collections.defaultdict(float)
    for (path, _line, name), (_cc, _nc, own, _cum, callers) in pstats.Stats(
            str(profile)).stats.items():  # type: ignore[attr-defined]
        if path == "~" and callers:
            for (cpath, _cl, cname), figures in callers.items():
                total[component(cpath, cname)] += figures[2]
        else:
            total[component(path, name)] += own
    return sum(total.values()), sorted(total.items(), key=lambda kv: -kv[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="kth-class", help="kth-class, 1m or JOBS:PROCS")
    parser.add_argument("--policy", default="easy")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    jobs, procs = CASES.get(args.case) or tuple(int(x) for x in args.case.split(":"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(dir=os.environ.get("WLGEN_BENCH_TMP")) as tmp:
        trace, prof = Path(tmp) / "trace.swf", Path(tmp) / "replay.prof"
        generate(trace, jobs, procs)
        env = child_env(Path(tmp) / "pycache")
        warm = Path(tmp) / "warm.swf"   # bytecode cached first, as an installed wlgen has it
        generate(warm, 100, 16)
        runs: tuple[tuple[Path, list[str], str], ...] = (
            (warm, [], "warm"), (warm, [], "fixed"),
            (trace, ["-m", "cProfile", "-o", str(prof)], "run"))
        for source, profiler, name in runs:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, *profiler, "-m", "workload.cli.main", "replay",
                            str(source), "--backend", "sim", "--policy", args.policy,
                            "--json", "--out", str(Path(tmp) / name)],
                           check=True, capture_output=True, env=env, cwd=tmp)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if name == "fixed":
                fixed = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        seconds, parts = shares(prof)
    print(f"whole process of a 100-job replay (start-up, imports, run directory): "
          f"{fixed:.2f} s CPU, unprofiled")
    print(f"{jobs:,} jobs on {procs} CPUs, --policy {args.policy}: {seconds:.2f} s profiled")
    for label, own in parts[:args.top]:
        print(f"  {100 * own / seconds:5.1f}%  {label}")


if __name__ == "__main__":
    main()

"""The scheduler alone against real Slurm: the simulator on the queue Slurm received.

For each stored real run of a validation scenario, the simulator runs the scenario's
jobs with that run's submit times and elapsed times as Slurm recorded them
(workload.compare.received), and is judged against that run alone. What `wlgen
validate` reports mixes the host into the agreement (late first submits bunch the
arrivals, launch overhead lengthens every job); this takes both out and leaves the
scheduling. One Markdown row per scenario: mean over the runs of tau-b and Spearman,
Slurm's mean wait and the simulator's, and the relative error (range over the runs).

    python bench/validate_received.py --slurm bookworm --out /tmp/h8/received \\
        scenarios/validate/builtin-fifo.yaml:/tmp/wlv/bookworm/builtin-fifo/r1/slurm-1,...
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from workload.checks.observed import load_observed
from workload.cluster.config import SUITES
from workload.compare.agreement import judge
from workload.compare.received import received, received_times
from workload.compare.runs import load_run
from workload.run.runner import run_source
from workload.scenario import load_scenario
from workload.scenario.backend import scenario_backend
from workload.scenario.workloads import Shaped, build

HEADER = ("| scenario | Slurm | runs | tau-b (min) | Spearman | mean wait Slurm, s | "
          "sim on Slurm's queue, s | error (range) |")


def one(scenario_file: str, suite: str, real_dirs: list[str], out: Path) -> str:
    release = SUITES[suite]
    scenario = load_scenario(scenario_file, [f"cluster.slurm_version='{release}'"])
    taus, rhos, real_w, sim_w, errs = [], [], [], [], []
    for i, real_dir in enumerate(real_dirs, 1):
        times = received_times(load_observed(real_dir))
        source = build(scenario.workload, scenario.cluster.info())
        shaped = Shaped(source, lambda specs, t=times: received(specs, t))
        run_out = out / f"{scenario.name}-{i}"
        shutil.rmtree(run_out, ignore_errors=True)
        with scenario_backend(scenario, "sim") as engine:
            result = run_source(shaped, engine, out=run_out, kind="validate-received",
                                closed_loop=False, settings={"received_from": real_dir})
        verdict = judge([load_run(real_dir, name="slurm")], load_run(result.run_dir, name="sim"),
                        runtimes={}, min_kendall=0.9, max_wait_error=0.1)
        s = verdict.summary
        taus.append(s["kendall_tau_b"])
        rhos.append(s["spearman"])
        real_w.append(s["wait_real"]["mean"])
        sim_w.append(s["wait_sim"]["mean"])
        errs.append(s["wait_rel_error"]["mean"])
    n = len(real_dirs)
    return (f"| {scenario.name.removeprefix('validate-')} | {release} | {n} | "
            f"{sum(taus) / n:.3f} ({min(taus):.3f}) | {sum(rhos) / n:.3f} | "
            f"{sum(real_w) / n:.1f} | {sum(sim_w) / n:.1f} | "
            f"{sum(sim_w) / sum(real_w) - 1:+.1%} ({min(errs):+.1%}..{max(errs):+.1%}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slurm", default="bookworm", choices=sorted(SUITES))
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("cases", nargs="+", help="SCENARIO.yaml:REAL_DIR,REAL_DIR,...")
    args = parser.parse_args()
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    for case in args.cases:
        scenario_file, _, dirs = case.partition(":")
        print(one(scenario_file, args.slurm, dirs.split(","), args.out), flush=True)


if __name__ == "__main__":
    main()

"""The agreement table of scenarios/SIM_VS_SLURM.md from `wlgen validate` reports.

Each argument is a validate.json (or the --out directory holding one); one Markdown
row each: scenario, Slurm release, real runs, tau-b, Spearman, Slurm's mean wait (range
over the runs) vs the simulator's, relative error, inside the range, launch overhead,
verdict, and the same with --subtract-launch where the report has it.

    python bench/validate_table.py runs/val-*/validate.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HEADER = ("| scenario | Slurm | runs | tau-b | Spearman | mean wait Slurm (range) | sim | "
          "error | inside | launch s | verdict | sim+launch: tau-b, wait, error, verdict |")


def row(report: dict) -> str:
    s = report["verdict"]["summary"]
    low, high = s["real_mean_wait_range"]
    padded = report.get("verdict_launch_subtracted")
    extra = "-"
    if padded:
        p = padded["summary"]
        extra = (f"{_f(p['kendall_tau_b'], 3)}, {_f(p['wait_sim']['mean'])} s, "
                 f"{_pct(p['wait_rel_error']['mean'])}, {'pass' if p['passed'] else 'fail'}")
    inside = s["sim_mean_wait_inside_real_range"]
    cells = [report["scenario"].removeprefix("validate-"), report["slurm_version"],
             str(report["real_runs"]), _f(s["kendall_tau_b"], 3), _f(s["spearman"], 3),
             f"{_f(s['wait_real']['mean'])} ({_f(low)}-{_f(high)})",
             _f(s["wait_sim"]["mean"]), _pct(s["wait_rel_error"]["mean"]),
             "-" if inside is None else "yes" if inside else "no",
             _f(s["launch_overhead_mean_s"], 2), "pass" if s["passed"] else "fail", extra]
    return "| " + " | ".join(cells) + " |"


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def main(paths: list[str]) -> None:
    print(HEADER)
    print("|" + "---|" * (HEADER.count("|") - 1))
    for name in paths:
        path = Path(name)
        report = json.loads((path / "validate.json" if path.is_dir() else path).read_text())
        print(row(report))


if __name__ == "__main__":
    main(sys.argv[1:])

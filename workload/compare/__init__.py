"""Comparing runs: metrics side by side, per-job start differences, agreement."""

from workload.compare.diff import Agreement, Comparison, agreement, compare_runs
from workload.compare.rank import kendall_tau_b, spearman
from workload.compare.runs import RunView, load_run

__all__ = ["Agreement", "Comparison", "RunView", "agreement", "compare_runs",
           "kendall_tau_b", "load_run", "spearman"]

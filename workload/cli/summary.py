"""The end-of-run summary table (stderr) and the --json object (stdout)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import click

from workload.rundir import SKIP_REASONS

ROWS = (
    ("submitted", "jobs submitted", "{:d}"), ("completed", "completed", "{:d}"),
    ("failed", "failed", "{:d}"), ("timeout", "timeout", "{:d}"),
    ("cancelled", "cancelled", "{:d}"), ("node_fail", "node fail", "{:d}"),
    ("rejected", "rejected at submit", "{:d}"), ("skipped", "skipped input", "{:d}"),
    ("unaccounted", "unaccounted", "{:d}"), ("makespan_s", "makespan", "{:,.1f} s"),
    ("wait_mean_s", "wait mean", "{:,.1f} s"), ("wait_median_s", "wait median", "{:,.1f} s"),
    ("wait_p95_s", "wait p95", "{:,.1f} s"), ("bsld_mean", "bounded slowdown", "{:,.2f}"),
    ("utilization", "utilisation", "{:.1%}"),
    ("gpu_utilization", "GPU utilisation", "{:.1%}"),
    ("throughput_jobs_per_s", "throughput", "{:,.4g} jobs/s"),
    ("submit_latency_p50_s", "submit latency p50", "{:.4f} s"),
    ("submit_latency_p99_s", "submit latency p99", "{:.4f} s"),
    ("submit_error_p50_s", "submit error p50", "{:.4f} s"),
    ("submit_error_p99_s", "submit error p99", "{:.4f} s"),
    ("wall_s", "wall time", "{:,.2f} s"),
)


def format_table(metrics: Mapping[str, object]) -> str:
    lines = _stopped(metrics)
    for key, label, fmt in ROWS:
        value = metrics.get(key)
        if value is None:
            continue
        lines.append(f"  {label:<20} {fmt.format(value)}")
    for reason, count in _skip_reasons(metrics).items():
        lines.append(f"    skipped: {reason}: {count}")
    return "\n".join(lines)


def _skip_reasons(metrics: Mapping[str, object]) -> Mapping[str, object]:
    """Skipped input by reason, each as its rule is written ("run time -1 (n/a)"); a
    metrics.json from before ``skip_reasons`` has only the flat ``skipped_<slug>`` keys."""
    reasons = metrics.get(SKIP_REASONS)
    if isinstance(reasons, Mapping):
        return {k: v for k, v in reasons.items() if v}
    return {k[len("skipped_"):].replace("_", " "): v for k, v in metrics.items()
            if k.startswith("skipped_") and v}


def _stopped(metrics: Mapping[str, object]) -> list[str]:
    """A run that ended early: what stopped it, and how many jobs it never submitted."""
    stopped = metrics.get("stopped_by")
    if not stopped:
        return []
    why = metrics.get("stopped_by_error")
    lines = [f"  {'stopped by':<20} {stopped}" + (f": {why}" if why else "")]
    if "not_submitted" not in metrics:      # a run that never wrote metrics.json
        return lines
    never = metrics.get("not_submitted")
    lines.append(f"  {'never submitted':<20} " + (
        f"{never:d}" if isinstance(never, int) else "unknown (the rest of the input was not read)"))
    return lines


def emit_summary(metrics: Mapping[str, object], *, as_json: bool, title: str) -> None:
    click.echo(title, err=True)
    click.echo(format_table(metrics), err=True)
    if as_json:
        click.echo(json.dumps(metrics, sort_keys=True, default=str))

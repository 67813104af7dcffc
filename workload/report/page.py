"""The report page: one self-contained HTML file (inline SVG and CSS, no scripts)."""

from __future__ import annotations

import html
import time
from collections.abc import Sequence
from pathlib import Path

from workload.checks.observed import Observed, load_observed
from workload.report.faults import Span, spans
from workload.report.faults import table as fault_table
from workload.rundir import read_checks, read_faults
from workload.report.charts import cdf_chart, share_chart, step_chart
from workload.report.gantt import gantt
from workload.report.series import (epoch_of, gpu_use, queue_length, top_users, user_shares,
                                    utilisation, wait_cdf)

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
td.fail { color: #b00; font-weight: bold; } td.pass { color: #070; }
figure { margin: 12px 0; } figcaption { font-size: 12px; color: #555; }
"""
METRICS = (("submitted", "{:d}"), ("completed", "{:d}"), ("failed", "{:d}"),
           ("timeout", "{:d}"), ("node_fail", "{:d}"), ("unaccounted", "{:d}"),
           ("makespan_s", "{:,.1f}"), ("wait_mean_s", "{:,.1f}"), ("wait_median_s", "{:,.1f}"),
           ("wait_p95_s", "{:,.1f}"), ("bsld_mean", "{:,.2f}"), ("utilization", "{:.1%}"),
           ("gpu_utilization", "{:.1%}"), ("throughput_jobs_per_s", "{:.4g}"))


def format_metric(key: str, value: object) -> str:
    """The text the metrics table shows for one value (tests read it back)."""
    fmt = dict(METRICS).get(key, "{}")
    if value is None:
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def write_report(run_dirs: Sequence[str | Path], out: str | Path, *,
                 title: str = "wlgen report") -> Path:
    runs = [(Path(d).name, load_observed(d)) for d in run_dirs]
    out = Path(out)
    out.write_text(render(runs, title), encoding="utf-8")
    return out


def render(runs: Sequence[tuple[str, Observed]], title: str) -> str:
    t0 = {name: epoch_of(obs) for name, obs in runs}
    shares = [(name, user_shares(obs)) for name, obs in runs]
    faults = [(name, read_faults(obs.run_dir) if obs.run_dir else []) for name, obs in runs]
    marks = [Span(f"{name}: {s.label}" if len(runs) > 1 else s.label, s.start_s, s.end_s)
             for name, found in faults for s in spans(found)]
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{len(runs)} run(s): {', '.join(html.escape(n) for n, _ in runs)}. Written "
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} by wlgen.</p>",
        "<h2>Metrics</h2>", _metrics_table(runs), _checks_table(runs), fault_table(faults),
        "<h2>Utilisation and queue</h2>",
        _figure("utilisation", step_chart(
            "Utilisation over time", "busy CPUs", [(n, utilisation(o, t0[n])) for n, o in runs],
            y_max=1.0, percent=True, marks=marks)),
        *_gpu_figure(runs, t0, marks),
        _figure("queue", step_chart(
            "Queue length over time", "jobs waiting", [(n, queue_length(o, t0[n]))
                                                       for n, o in runs], marks=marks)),
        "<h2>Waits</h2>",
        _figure("wait-cdf", cdf_chart([(n, wait_cdf(o)) for n, o in runs])),
        "<h2>Per-user share</h2>",
        _figure("user-share", share_chart(top_users([s for _, s in shares]), shares)),
        "<h2>Gantt</h2>",
        *(_figure(f"gantt-{i}", gantt(o, t0[n], n)) for i, (n, o) in enumerate(runs)),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(sections) + "\n</body></html>\n")


def _gpu_figure(runs: Sequence[tuple[str, Observed]], t0: dict[str, float],
                marks: Sequence[Span]) -> list[str]:
    """GPU use over time, for the runs whose cluster has GPUs (none: no figure)."""
    gpu_runs = [(n, o) for n, o in runs if o.cluster.total_gpus]
    if not gpu_runs:
        return []
    return [_figure("gpu-use", step_chart(
        "GPU use over time", "GPUs held", [(n, gpu_use(o, t0[n])) for n, o in gpu_runs],
        y_max=1.0, percent=True, marks=marks))]


def _figure(ident: str, svg: str) -> str:
    return f'<figure id="{ident}">{svg}</figure>'


def _metrics_table(runs: Sequence[tuple[str, Observed]]) -> str:
    head = "".join(f"<th>{html.escape(n)}</th>" for n, _ in runs)
    rows = [f'<tr data-metric="{key}"><td>{key}</td>' + "".join(
        f"<td>{format_metric(key, obs.metrics.get(key))}</td>" for _, obs in runs) + "</tr>"
        for key, _ in METRICS]
    return (f'<table id="metrics"><tr><th>metric</th>{head}</tr>' + "".join(rows)
            + "</table>")


def _checks_table(runs: Sequence[tuple[str, Observed]]) -> str:
    """Each run's checks.json (scenario runs), if any run has one."""
    verdicts = {}
    for name, obs in runs:
        recorded = read_checks(obs.run_dir) if obs.run_dir else []
        if recorded:
            verdicts[name] = {c["name"]: c for c in recorded}
    if not verdicts:
        return ""
    checks = list(dict.fromkeys(c for v in verdicts.values() for c in v))
    head = "".join(f"<th>{html.escape(n)}</th>" for n in verdicts)
    rows = []
    for check in checks:
        cells = []
        for v in verdicts.values():
            c = v.get(check)
            status = c["status"] if c else "-"
            detail = f" ({c['failures']})" if c and c["failures"] else ""
            cells.append(f'<td class="{status.replace("/", "")}">{status}{detail}</td>')
        rows.append(f"<tr><td>{html.escape(check)}</td>{''.join(cells)}</tr>")
    return (f'<h2>Checks</h2><table id="checks"><tr><th>check</th>{head}</tr>'
            + "".join(rows) + "</table>")

"""The report's charts, each an SVG string, from the series of one or more runs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from workload.report.faults import Span
from workload.report.series import Series, thin
from workload.report.svg import Frame, color, nice_ticks


def time_unit(span_s: float) -> tuple[float, str]:
    """Seconds per unit and its name, so axes read 0-48 h rather than 0-172,800 s."""
    if span_s > 2 * 86400:
        return 3600.0, "h"
    if span_s > 2 * 3600:
        return 60.0, "min"
    return 1.0, "s"


def step_chart(title: str, y_label: str, runs: Sequence[tuple[str, Series]], *,
               y_max: float | None = None, percent: bool = False,
               marks: Sequence[Span] = ()) -> str:
    """Several runs' step functions over time, overlaid (one colour and legend entry each),
    over ``marks``: fault intervals, shaded (an open one to the chart's end)."""
    span = max((float(x[-1]) for _, (x, _) in runs if len(x)), default=1.0) or 1.0
    span = max([span, *(m.end_s or m.start_s for m in marks)])
    unit, name = time_unit(span)
    top = y_max if y_max is not None else max(
        (float(np.max(y)) for _, (_, y) in runs if len(y)), default=1.0) or 1.0
    frame = Frame(title, (0.0, span / unit), (0.0, top * 1.05), f"time since start ({name})",
                  y_label)
    for mark in marks:
        end = span if mark.end_s is None else mark.end_s
        frame.span(mark.start_s / unit, end / unit, mark.label)
    for i, (run, (x, y)) in enumerate(runs):
        x, y = thin(x, y)
        frame.polyline(list(x / unit), list(y), run=run, index=i)
    ticks = None
    if percent:
        ticks = [(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0) if v <= top * 1.05]
    return frame.render(y_ticks=ticks)


def cdf_chart(runs: Sequence[tuple[str, Series]]) -> str:
    """Wait-time CDFs overlaid; x is wait in the unit that suits the longest."""
    longest = max((float(x[-1]) for _, (x, _) in runs if len(x)), default=1.0) or 1.0
    unit, name = time_unit(longest)
    frame = Frame("Wait time CDF", (0.0, longest / unit), (0.0, 1.0), f"wait ({name})",
                  "fraction of jobs")
    for i, (run, (x, y)) in enumerate(runs):
        x, y = thin(x, y)
        frame.polyline(list(x / unit), list(y), run=run, index=i)
    return frame.render(y_ticks=[(v, f"{v:.0%}") for v in (0, 0.25, 0.5, 0.75, 1.0)])


def share_chart(users: Sequence[str], runs: Sequence[tuple[str, dict[str, float]]]) -> str:
    """Per-user share of delivered CPU time: one group of bars per user, a bar per run."""
    labels = list(users) + (["other"] if any(set(s) - set(users) for _, s in runs) else [])
    values = [[shares.get(u, 0.0) if u != "other" else
               sum(v for k, v in shares.items() if k not in users) for u in labels]
              for _, shares in runs]
    top = max((v for row in values for v in row), default=1.0) or 1.0
    frame = Frame("Per-user share of CPU time", (0.0, float(len(labels))), (0.0, top * 1.1),
                  "user", "share of CPU-seconds", x_ticks=False)
    width = 0.8 / max(len(runs), 1)
    for r, (run, _) in enumerate(runs):
        for u, label in enumerate(labels):
            x0 = u + 0.1 + r * width
            frame.rect(x0, x0 + width, 0.0, values[r][u], cls="bar", fill=color(r),
                       tip=f"{run}: {label} {values[r][u]:.1%}")
        frame.legend.append((run, color(r)))
    ticks = [(v, f"{v:.0%}") for v in nice_ticks(0.0, top * 1.1)]
    svg = frame.render(y_ticks=ticks)
    return _user_labels(svg, frame, labels)


def _user_labels(svg: str, frame: Frame, labels: Sequence[str]) -> str:
    from html import escape
    y = frame.height - frame.margin[2] + 14
    texts = [f'<text class="category" x="{frame.x(i + 0.5):.1f}" y="{y}" font-size="11" '
             f'text-anchor="middle">{escape(label)}</text>' for i, label in enumerate(labels)]
    # Category names replace the numeric x ticks of a bar chart.
    body = svg.rsplit("</svg>", 1)[0]
    return body + "\n".join(texts) + "\n</svg>"

"""A few SVG primitives and a plot frame: axes, ticks, legend. No dependencies.

Every element the tests count carries a class: ``series`` (a polyline, with
``data-run`` and ``data-points``), ``bar``, ``job``, ``legend-item``, ``fault`` (a
fault's interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= step * mult:
            step *= mult
            break
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def fmt_tick(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:.3g}"


@dataclass
class Frame:
    """A plot area: data ranges mapped onto pixels, with elements added in order."""

    title: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    x_label: str = ""
    y_label: str = ""
    width: int = 760
    height: int = 300
    margin: tuple[int, int, int, int] = (34, 20, 44, 64)   # top, right, bottom, left
    parts: list[str] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] | None = None    # labelled ticks instead of numbers
    x_ticks: bool = True                               # False: categories drawn by caller

    def x(self, value: float) -> float:
        lo, hi = self.x_range
        top, right, bottom, left = self.margin
        return left + (value - lo) / ((hi - lo) or 1) * (self.width - left - right)

    def y(self, value: float) -> float:
        lo, hi = self.y_range
        top, right, bottom, left = self.margin
        return self.height - bottom - (value - lo) / ((hi - lo) or 1) * (
            self.height - top - bottom)

    def polyline(self, xs, ys, *, run: str, index: int, step: bool = True) -> None:
        coords = []
        for i, (px, py) in enumerate(zip(xs, ys)):
            if step and i:
                coords.append(f"{self.x(px):.1f},{self.y(ys[i - 1]):.1f}")
            coords.append(f"{self.x(px):.1f},{self.y(py):.1f}")
        self.parts.append(f'<polyline class="series" data-run="{escape(run)}" '
                          f'data-points="{len(xs)}" fill="none" stroke="{color(index)}" '
                          f'stroke-width="1.6" points="{" ".join(coords)}"/>')
        self.legend.append((run, color(index)))

    def rect(self, x0: float, x1: float, y0: float, y1: float, *, cls: str, fill: str,
             tip: str) -> None:
        px0, px1 = self.x(x0), self.x(x1)
        py0, py1 = self.y(y1), self.y(y0)
        self.parts.append(f'<rect class="{cls}" x="{px0:.1f}" y="{py0:.1f}" '
                          f'width="{max(px1 - px0, 0.6):.1f}" height="{max(py1 - py0, 0.6):.1f}"'
                          f' fill="{fill}"><title>{escape(tip)}</title></rect>')

    def span(self, x0: float, x1: float, label: str) -> None:
        """A fault interval: a shaded band the plot's height, its label at the top."""
        top, _, bottom, _ = self.margin
        px0, px1 = self.x(x0), self.x(x1)
        self.parts.append(
            f'<g class="fault"><rect x="{px0:.1f}" y="{top}" width="{max(px1 - px0, 1.5):.1f}" '
            f'height="{self.height - top - bottom}" fill="#ff7f0e" fill-opacity="0.18" '
            f'stroke="#ff7f0e" stroke-width="0.8"><title>{escape(label)}</title></rect>'
            f'<text x="{px0 + 3:.1f}" y="{top + 11}" font-size="10" fill="#b35900">'
            f'{escape(label)}</text></g>')

    def render(self, *, y_ticks: list[tuple[float, str]] | None = None) -> str:
        top, right, bottom, left = self.margin
        w, h = self.width, self.height
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
               f'viewBox="0 0 {w} {h}" role="img" aria-label="{escape(self.title)}">',
               f'<text class="chart-title" x="{left}" y="20" font-size="14" '
               f'font-weight="bold">{escape(self.title)}</text>']
        out += self._axes(y_ticks or self.y_ticks)
        out += self.parts
        out += self._legend()
        out.append("</svg>")
        return "\n".join(out)

    def _axes(self, y_ticks: list[tuple[float, str]] | None) -> list[str]:
        top, right, bottom, left = self.margin
        x0, x1, y0 = left, self.width - right, self.height - bottom
        out = [f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/>',
               f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{y0}" stroke="#333"/>']
        for t in nice_ticks(*self.x_range) if self.x_ticks else ():
            px = self.x(t)
            out.append(f'<line x1="{px:.1f}" y1="{y0}" x2="{px:.1f}" y2="{y0 + 4}" stroke="#333"/>'
                       f'<text x="{px:.1f}" y="{y0 + 16}" font-size="11" text-anchor="middle">'
                       f'{fmt_tick(t)}</text>')
        ticks = y_ticks or [(t, fmt_tick(t)) for t in nice_ticks(*self.y_range)]
        for value, label in ticks:
            py = self.y(value)
            out.append(f'<line x1="{x0}" y1="{py:.1f}" x2="{x1}" y2="{py:.1f}" stroke="#eee"/>'
                       f'<text x="{x0 - 6}" y="{py + 4:.1f}" font-size="11" text-anchor="end">'
                       f'{escape(label)}</text>')
        out.append(f'<text x="{(x0 + x1) / 2:.0f}" y="{self.height - 8}" font-size="12" '
                   f'text-anchor="middle">{escape(self.x_label)}</text>')
        out.append(f'<text x="14" y="{(top + y0) / 2:.0f}" font-size="12" text-anchor="middle" '
                   f'transform="rotate(-90 14 {(top + y0) / 2:.0f})">{escape(self.y_label)}</text>')
        return out

    def _legend(self) -> list[str]:
        if not self.legend:
            return []
        # Wide enough for the longest name (about 6.5 px a character at 11 px).
        box = min(40 + 6.5 * max(len(name) for name, _ in self.legend), self.width / 2)
        x = self.width - self.margin[1] - 4 - box
        out = ['<g class="legend">',
               f'<rect x="{x:.0f}" y="{self.margin[0]}" width="{box:.0f}" '
               f'height="{16 * len(self.legend) + 6}" fill="white" fill-opacity="0.85" '
               f'stroke="#ccc"/>']
        for i, (name, fill) in enumerate(self.legend):
            y = self.margin[0] + 4 + 16 * i
            out.append(f'<g class="legend-item"><rect x="{x + 6:.0f}" y="{y}" width="10" '
                       f'height="10" fill="{fill}"/><text x="{x + 21:.0f}" y="{y + 9}" '
                       f'font-size="11">{escape(name)}</text></g>')
        out.append("</g>")
        return out

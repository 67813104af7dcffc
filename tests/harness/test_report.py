"""wlgen report: series by hand, and the page as headless Chromium renders it."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.checks.attempts import attempts
from workload.cli.main import cli
from workload.report import format_metric
from workload.report.gantt import gantt, lanes
from workload.report.series import queue_length, utilisation, wait_cdf
from workload.sources import StormSource
from workload.testing import Row, hand_cluster, observed_from_rows
from workload.testing.require import require

ROWS = [Row(0, 0, 0, 10, procs=2), Row(1, 1, 10, 20, procs=4), Row(2, 2, 2, 7, procs=2)]


def test_series_of_a_hand_made_schedule():
    obs = observed_from_rows(ROWS, hand_cluster(1, 4))
    x, y = utilisation(obs, 0.0)
    assert list(x) == [0, 2, 7, 10, 20] and list(y) == [0.5, 1.0, 0.5, 1.0, 0.0]
    x, y = queue_length(obs, 0.0)
    assert list(x) == [0, 1, 2, 10] and list(y) == [0, 1, 1, 0]
    waits, frac = wait_cdf(obs)
    assert list(waits) == [0, 0, 9] and list(frac) == pytest.approx([1 / 3, 2 / 3, 1])


def test_lanes_never_overlap_and_are_few():
    got = lanes([(0, 10, 0), (5, 15, 1), (10, 20, 2), (12, 13, 3)])
    assert got == {0: 0, 1: 1, 2: 0, 3: 2}


def test_a_big_run_gets_sampled_job_rows(wlgen_run):
    obs = wlgen_run(StormSource(4100, size="1", runtime="1-5", seed=1), nodes=2, cpus=4)
    svg = gantt(obs, min(e.time for e in obs.events), "big")
    assert "sampled jobs x time (200 of 4100 jobs)" in svg
    assert svg.count('class="job"') == 200


class Dom(HTMLParser):
    """What the rendered page shows: elements by class, texts, table cells by row."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: dict[str, int] = {}
        self.figures: dict[str, dict[str, int]] = {}
        self.legends: dict[str, list[str]] = {}
        self.cells: dict[str, list[str]] = {}
        self.title = ""
        self._figure = self._row = None
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in.append(a.get("class", "") or tag)
        if tag == "figure":
            self._figure = a["id"]
            self.figures[self._figure], self.legends[self._figure] = {}, []
        if tag == "tr" and "data-metric" in a:
            self._row = a["data-metric"]
            self.cells[self._row] = []
        for cls in (a.get("class") or "").split():
            self.classes[cls] = self.classes.get(cls, 0) + 1
            if self._figure:
                fig = self.figures[self._figure]
                fig[cls] = fig.get(cls, 0) + 1

    def handle_endtag(self, tag):
        if self._in:
            self._in.pop()
        if tag == "figure":
            self._figure = None

    def handle_data(self, data):
        where = self._in[-1] if self._in else ""
        if where == "title" and not self.title:
            self.title = data
        if self._figure and "legend-item" in self._in:
            self.legends[self._figure].append(data)
        if self._row and where == "td":
            self.cells[self._row].append(data)


def chromium(*args: str, profile: Path) -> str:
    require("chromium")
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Two runs (FCFS, EASY) of one storm, their report, and Chromium's DOM of it."""
    from workload.testing import wlgen_run
    base = tmp_path_factory.mktemp("report")
    runs = {}
    for policy in ("fcfs", "easy"):
        runs[policy] = wlgen_run(StormSource(40, rate=0.5, size="1-8", runtime="20-200",
                                             users=3, seed=2),
                                 nodes=2, cpus=8, policy=policy, out=base / policy)
    page = base / "report.html"
    result = CliRunner().invoke(cli, ["report", str(base / "fcfs"), str(base / "easy"),
                                      "-o", str(page), "--title", "FCFS vs EASY"])
    assert result.exit_code == 0, result.output
    dom = chromium("--dump-dom", page.as_uri(), profile=base / "profile")
    parser = Dom()
    parser.feed(dom)
    return runs, page, dom, parser


def test_the_page_is_self_contained(rendered):
    _, page, _, _ = rendered
    text = page.read_text()
    assert "<script" not in text and not re.search(r'(src|href)="(https?:)?//', text)


def test_chromium_shows_the_title_legends_and_one_line_per_run(rendered):
    _, _, _, dom = rendered
    assert dom.title == "FCFS vs EASY"
    for figure in ("utilisation", "queue", "wait-cdf"):
        assert dom.figures[figure]["series"] == 2
        assert dom.legends[figure] == ["fcfs", "easy"]
    assert dom.legends["user-share"] == ["fcfs", "easy"]


def test_the_gantt_draws_one_bar_per_job_and_node(rendered):
    runs, _, _, dom = rendered
    for i, obs in enumerate(runs.values()):
        expected = sum(len(a.nodes) for a in attempts(obs.events))
        assert dom.figures[f"gantt-{i}"]["job"] == expected >= 40
        assert sorted(dom.legends[f"gantt-{i}"]) == ["user u1", "user u2", "user u3"]


def test_the_user_share_bars_and_cdf_points(rendered):
    runs, _, _, dom = rendered
    assert dom.figures["user-share"]["bar"] == 2 * 3      # 2 runs x 3 users
    page = rendered[2]
    points = [int(n) for n in re.findall(r'data-points="(\d+)"', page)]
    waits = [len(wait_cdf(obs)[0]) for obs in runs.values()]
    assert points[4:6] == waits                            # the CDF chart's two lines


def test_the_metrics_table_shows_the_runs_metrics(rendered):
    runs, _, _, dom = rendered
    for key in ("submitted", "completed", "wait_mean_s", "utilization", "makespan_s"):
        shown = dom.cells[key][1:]
        assert shown == [format_metric(key, obs.metrics[key]) for obs in runs.values()]
    assert dom.cells["submitted"][1:] == ["40", "40"]
    fcfs, easy = (float(v.replace(",", "")) for v in dom.cells["wait_mean_s"][1:])
    assert easy <= fcfs


def test_a_screenshot_is_drawn(rendered, tmp_path):
    _, page, _, _ = rendered
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", "--window-size=1000,2400", page.as_uri(),
             profile=tmp_path / "profile")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 2400)
    assert len(data) > 60_000        # charts drawn: a page with one heading is ~13 kB

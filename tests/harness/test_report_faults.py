"""wlgen report with a run's faults: intervals marked on the time charts, and a table.

The records are faults.jsonl lines as the Slurm fault driver writes them
(workload/backends/slurm/faults.py: the fault's fields, outcome, detail, began_s, took_s).
"""

from __future__ import annotations

import re

from click.testing import CliRunner

from workload.cli.main import cli
from workload.report.faults import Span, spans
from workload.rundir import write_faults
from workload.sources import StormSource


def record(action: str, began: float, outcome: str = "applied", **extra) -> dict:
    fault = {"at_s": began, "action": action, "node": None, "link": None, "down_s": 0.0,
             "factor": 1.0, "on_sim": "error", "outcome": outcome, "detail": "",
             "began_s": began + 0.2, "took_s": 0.5}
    fault.update(extra)
    return fault


FAULTS = [
    record("link_down", 10, link="n2", detail="n2 cable pulled"),
    record("slow_node", 5, node="n1", factor=3.0),
    record("link_up", 40, link="n2", detail="n2 cable plugged"),
    record("slow_node", 20, node="n1", factor=1.0),
    record("slurmctld_restart", 60, down_s=10, took_s=12.5),
    record("node_down", 70, node="n1"),
    record("node_down", 75, outcome="failed", node="n2", detail="scontrol: timed out"),
    record("node_up", 80, node="n3"),
    record("node_down", 90, outcome="not reached (run ended)", node="n1"),
]


def test_spans_pair_downs_with_ups_and_leave_the_rest_open():
    assert spans(FAULTS) == [
        Span("n1 slow x3", 5.2, 20.2),
        Span("n2 link down", 10.2, 40.2),
        Span("slurmctld restart", 60.2, 72.7),
        Span("n1 node down", 70.2, None),      # never brought up: to the run's end
        Span("n3 node up", 80.2, 80.2),        # an up whose down came before the run
    ]


def test_faults_not_applied_are_not_drawn():
    assert spans([record("link_down", 3, outcome="failed", link="n1")]) == []
    assert spans([]) == []


def test_the_report_marks_the_faults_on_its_time_charts_and_lists_them(tmp_path):
    from workload.testing import wlgen_run
    run_dir = tmp_path / "run"
    wlgen_run(StormSource(30, rate=0.5, size="1-4", runtime="20-60", seed=3), nodes=2, cpus=4,
              out=run_dir)
    write_faults(run_dir, FAULTS)
    page = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(run_dir), "-o", str(page)])
    assert result.exit_code == 0, result.output
    text = page.read_text()

    for figure in ("utilisation", "queue"):
        svg = re.search(rf'<figure id="{figure}">(.*?)</figure>', text, re.S).group(1)
        bands = re.findall(r'<g class="fault"><rect x="([\d.]+)" y="\d+" width="([\d.]+)"'
                           r'.*?<title>([^<]*)</title>', svg)
        assert [label for _, _, label in bands] == [s.label for s in spans(FAULTS)]
        starts = [float(x) for x, _, _ in bands]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)
        # The link's 30 s are twice the slow node's 15 s, on one x scale.
        widths = {label: float(w) for _, w, label in bands}
        assert abs(widths["n2 link down"] / widths["n1 slow x3"] - 2) < 0.05

    table = re.search(r'<table id="faults">(.*?)</table>', text, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", table)[1:]
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows]
    assert len(cells) == len(FAULTS)
    assert cells[0] == ["run", "10.2", "link_down", "n2", "applied", "n2 cable pulled", "0.5"]
    assert cells[6][2:5] == ["node_down", "n2", "failed"]
    assert 'class=\'fail\'>not reached (run ended)' in table

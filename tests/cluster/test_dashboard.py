"""The cluster dashboard's definition (a pure function of cluster, nodes, partitions), the
PNG stacking of real graphite-web renders (tests/cluster/data/dashboard, rendered by a
real cluster's graphite-web with these graphs' parameters), and the command's bad input."""

from __future__ import annotations

import json
import urllib.parse
import zlib
from pathlib import Path

import pytest

from workload.cli.main import cli
from workload.cluster import dashboard
from tests.cluster.pngpixels import rows
from workload.cluster.pngstack import parse, stack

DATA = Path(__file__).parent / "data" / "dashboard"
P = "wlgen.cluster.c1."


def test_graphs_are_the_layers_with_graphites_own_functions():
    graphs = dashboard.graphs("c1", ["n1", "n2", "n3"], ["batch", "gpu"])
    assert [g.title for g in graphs] == ["Jobs per partition", "CPU per node",
                                         "Fabric port rate per node", "Scheduler cycles",
                                         "Submit latency per run"]
    jobs, cpu, fabric, sched, latency = (g.targets for g in graphs)
    faults = "color(alias(drawAsInfinite(events('wlgen','c1','fault')),'faults'),'orange')"
    assert jobs[0] == (f"aliasByNode(keepLastValue({P}partition.{{batch,gpu}}."
                       "{running,pending},2),4,5)")
    assert jobs[1] == ("color(alias(drawAsInfinite(sumSeries(events('wlgen','FAILED'),"
                       "events('wlgen','NODE_FAIL'),events('wlgen','TIMEOUT'),"
                       "events('wlgen','OUT_OF_MEMORY'))),'job failures'),'red')")
    assert cpu == (f"aliasByNode(keepLastValue({P}node.{{n1,n2,n3}}.cpu_percent,2),4)",
                   faults)
    assert fabric == (f"aliasByNode(perSecond({P}fabric.{{n1,n2,n3}}.{{tx,rx}}_bytes),4,5)",
                      faults)
    assert [t.split("(")[0] for t in sched] == ["alias", "alias", "alias", "color"]
    assert f"{P}scheduler.main.last_cycle_us" in sched[0]
    assert f"secondYAxis(keepLastValue({P}scheduler.backfill.last_depth,2))" in sched[2]
    assert latency[0] == "aliasByNode(keepLastValue(wlgen.*.submit_latency_s,60),1)"
    assert all(g.targets[-1] == faults for g in graphs)


def test_one_node_and_unsafe_names_make_plain_graphite_paths():
    graphs = dashboard.graphs("my cluster.x", ["n1"], ["batch"])
    assert graphs[1].targets[0] == ("aliasByNode(keepLastValue(wlgen.cluster.my_cluster_x."
                                    "node.n1.cpu_percent,2),4)")
    assert "events('wlgen','my_cluster_x','fault')" in graphs[1].targets[1]
    assert dashboard.name("my cluster.x") == "wlgen-my_cluster_x"


def test_state_is_what_graphite_webs_dashboard_loads_and_is_pure():
    state = dashboard.state("c1", ["n1", "n2"], ["batch"])
    assert state == dashboard.state("c1", ["n1", "n2"], ["batch"])
    assert json.loads(json.dumps(state)) == state
    assert state["name"] == "wlgen-c1"
    assert state["defaultGraphParams"]["from"] == "-30minutes"
    assert state["timeConfig"]["type"] == "relative" and state["refreshConfig"]["enabled"]
    graphs = dashboard.graphs("c1", ["n1", "n2"], ["batch"])
    # dashboard.js's applyState reads [id, params, url]; params.target is a list.
    assert [entry[0] for entry in state["graphs"]] == [g.title for g in graphs]
    for entry, graph in zip(state["graphs"], graphs):
        assert entry[1]["target"] == list(graph.targets)
        query = urllib.parse.parse_qs(entry[2].removeprefix("/render?"))
        assert query["target"] == list(graph.targets) and query["title"] == [graph.title]


def test_render_params_carry_the_window_and_style():
    graph = dashboard.graphs("c1", ["n1"], ["batch"])[0]
    params = graph.render_params("-1h", "now", 400, 100)
    assert [v for k, v in params if k == "target"] == list(graph.targets)
    rest = dict(p for p in params if p[0] != "target")
    assert (rest["from"], rest["until"], rest["width"], rest["height"]) == \
        ("-1h", "now", "400", "100")
    assert rest["bgcolor"] == "FFFFFF" and rest["vtitle"] == "jobs"


# -- PNG stacking ------------------------------------------------------------------------
def test_stacked_renders_decode_to_the_renders_rows_one_after_the_other():
    first, second = ((DATA / f).read_bytes() for f in ("graph1_240px.png", "graph2_240px.png"))
    assert parse(first).rows[0] != 0   # the real render filters its first row (Sub)
    stacked = stack([first, second, first])
    image = parse(stacked)
    assert (image.width, image.height) == (240, 300)
    assert rows(stacked) == rows(first) + rows(second) + rows(first)
    assert zlib.crc32(stacked[-8:-4]) == zlib.crc32(b"IEND")


def test_stacking_refuses_images_of_another_width_or_not_png():
    first, narrow = ((DATA / f).read_bytes() for f in ("graph1_240px.png", "graph3_200px.png"))
    with pytest.raises(ValueError, match="image 2 is 200 px wide"):
        stack([first, narrow])
    with pytest.raises(ValueError, match="not a PNG"):
        stack([first, b"<html>500</html>"])
    with pytest.raises(ValueError, match="no images"):
        stack([])


# -- the command ---------------------------------------------------------------------------
def test_bad_from_is_one_line_naming_the_field(wlgen):
    result = wlgen("cluster", "dashboard", "--name", "nosuch", "--from", "yesterday")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "wlgen: error: field from='yesterday': expected a Graphite time: -30min, -2h, -1d "
        "or epoch seconds"]


def test_dashboard_is_listed_in_the_cluster_group():
    from click.testing import CliRunner
    result = CliRunner().invoke(cli, ["cluster", "--help"])
    assert result.exit_code == 0 and "dashboard" in result.output


def test_graphite_times_accepted_and_a_missing_cluster_named(wlgen):
    from workload.cli.dashboard import check_when
    for when in ("-30min", "-2h", "-1d", "-90s", "-1weeks", "1796393248"):
        assert check_when(when, "from") == when
    result = wlgen("cluster", "dashboard", "--name", "wlgen-no-such-cluster", "--from", "-1h")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "wlgen: error: no cluster named 'wlgen-no-such-cluster': start one with "
        "`wlgen cluster up --name wlgen-no-such-cluster`"]


def test_a_large_cluster_draws_its_busiest_nodes_with_a_short_url():
    nodes = [f"n{i}" for i in range(1, 501)]
    graphs = {g.title: g for g in dashboard.graphs("big", nodes, ["batch"])}
    cpu = graphs["CPU per node (16 busiest of 500)"].targets[0]
    assert cpu == ("aliasByNode(highestMax(keepLastValue(wlgen.cluster.big.node.*."
                   "cpu_percent,2),16),4)")
    fabric = graphs["Fabric port rate per node (16 busiest of 500)"].targets[0]
    assert fabric == ("aliasByNode(highestMax(perSecond(wlgen.cluster.big.fabric.*."
                      "{tx,rx}_bytes),16),4,5)")
    # gunicorn refuses a request line over 4094 bytes: every graph's render URL fits.
    for graph in graphs.values():
        query = urllib.parse.urlencode([*graph.render_params(), ("format", "png")])
        assert len(f"GET /render?{query} HTTP/1.1") < 4094, graph.title
    # 16 nodes are still drawn one line each.
    sixteen = dashboard.graphs("c1", nodes[:16], ["batch"])[1]
    assert sixteen.title == "CPU per node" and "{n1,n2," in sixteen.targets[0]

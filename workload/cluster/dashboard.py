"""A cluster's graphite-web dashboard: every layer on one page, faults drawn across it.

:func:`graphs` is the definition, a pure function of (cluster name, nodes, partitions):

- jobs running and pending per partition, with the run's job failures and the cluster's
  faults as vertical lines;
- CPU per node (%), with the faults;
- fabric port rate per node (bytes/s sent and received: ``perSecond`` of the counters);
- scheduler cycle times (main and backfill, last cycle, us) and the backfill depth of
  the last cycle (right axis; sdiag has its mean only once backfill has run);
- the submit latency of every run that sent its gauges here (``wlgen.<run_id>.``).

The targets are Graphite's own functions, so a graph reads at a glance: ``keepLastValue``
bridges a missed slot or two (never more, so a stopped series shows as stopped),
``perSecond`` turns counters into rates, and ``drawAsInfinite`` draws only the events
that matter (job failures; the faults of ``workload/cluster/collect/annotate.py``), not
one line per job event.

`cluster up --monitoring` saves it in graphite-web (``/dashboard/save/<name>``, its own
dashboard store) as ``wlgen-<cluster>``; `wlgen cluster dashboard` prints its URL or, with
``--png``, renders the same graphs through ``/render`` and stacks them into one image
(workload/cluster/pngstack.py).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field

from workload.errors import ClusterError

FROM = "-30min"
WIDTH, HEIGHT = 800, 260
FAILED_STATES = ("FAILED", "NODE_FAIL", "TIMEOUT", "OUT_OF_MEMORY")
MAX_NODES = 16        # nodes drawn one line each; more: the busiest 16
BRIDGE_SLOTS = 2      # keepLastValue: missed collector slots drawn as a line, no more
RUN_BRIDGE_S = 60     # a run's gauges are 1 s slots with a point every sample interval
#: drawn on white, for screens and for a report page
STYLE = {"bgcolor": "FFFFFF", "fgcolor": "000000", "majorGridLineColor": "C8C8C8",
         "minorGridLineColor": "EEEEEE", "lineWidth": "2", "yMin": "0",
         "fontSize": "10"}


@dataclass(frozen=True, slots=True)
class Graph:
    title: str
    targets: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)   # extra render parameters

    def render_params(self, since: str = FROM, until: str = "now",
                      width: int = WIDTH, height: int = HEIGHT) -> list[tuple[str, str]]:
        base = {**STYLE, "title": self.title, **self.params, "from": since,
                "until": until, "width": str(width), "height": str(height)}
        return [("target", t) for t in self.targets] + sorted(base.items())


def name(cluster: str) -> str:
    """The dashboard's name in graphite-web."""
    from workload.sinks.graphite import metric_name
    return f"wlgen-{metric_name(cluster)}"


def _brace(items: Sequence[str]) -> str:
    """Graphite's glob for exactly these path nodes: ``{n1,n2}`` (or ``n1``)."""
    from workload.sinks.graphite import metric_name
    names = [metric_name(i) for i in items]
    return names[0] if len(names) == 1 else "{" + ",".join(names) + "}"


def faults_target(cluster: str) -> str:
    from workload.sinks.graphite import metric_name
    return (f"color(alias(drawAsInfinite(events('wlgen','{metric_name(cluster)}','fault')),"
            f"'faults'),'orange')")


def failures_target() -> str:
    events = ",".join(f"events('wlgen','{state}')" for state in FAILED_STATES)
    return f"color(alias(drawAsInfinite(sumSeries({events})),'job failures'),'red')"


def graphs(cluster: str, nodes: Sequence[str], partitions: Sequence[str]) -> list[Graph]:
    """The dashboard's graphs for cluster ``cluster`` (metric names of workload/cluster/
    collect/: ``wlgen.cluster.<cluster>.``)."""
    from workload.cluster.collect.collector import prefix
    p, parts = prefix(cluster), _brace(partitions)
    faults = faults_target(cluster)
    few = len(nodes) <= MAX_NODES
    # A large cluster: every node (a glob, not a URL the length of the node list, which
    # gunicorn's 4 KB request line would refuse), the busiest MAX_NODES drawn.
    each, top = (_brace(nodes), "{}") if few else ("*", f"highestMax({{}},{MAX_NODES})")
    which = "" if few else f" ({MAX_NODES} busiest of {len(nodes)})"
    return [
        Graph("Jobs per partition", (
            f"aliasByNode(keepLastValue({p}partition.{parts}.{{running,pending}},"
            f"{BRIDGE_SLOTS}),4,5)", failures_target(), faults), {"vtitle": "jobs"}),
        Graph(f"CPU per node{which}", (
            "aliasByNode(" + top.format(f"keepLastValue({p}node.{each}.cpu_percent,"
                                        f"{BRIDGE_SLOTS})") + ",4)",
            faults), {"vtitle": "% of one core"}),
        Graph(f"Fabric port rate per node{which}", (
            "aliasByNode(" + top.format(f"perSecond({p}fabric.{each}.{{tx,rx}}_bytes)")
            + ",4,5)", faults), {"vtitle": "bytes/s"}),
        Graph("Scheduler cycles", (
            f"alias(keepLastValue({p}scheduler.main.last_cycle_us,{BRIDGE_SLOTS}),"
            "'main cycle (us)')",
            f"alias(keepLastValue({p}scheduler.backfill.last_cycle_us,{BRIDGE_SLOTS}),"
            "'backfill cycle (us)')",
            f"alias(secondYAxis(keepLastValue({p}scheduler.backfill.last_depth,"
            f"{BRIDGE_SLOTS})),'backfill depth (jobs)')", faults),
            {"vtitle": "us", "vtitleRight": "jobs"}),
        Graph("Submit latency per run", (
            f"aliasByNode(keepLastValue(wlgen.*.submit_latency_s,{RUN_BRIDGE_S}),1)",
            failures_target(), faults), {"vtitle": "s"}),
    ]


def state(cluster: str, nodes: Sequence[str], partitions: Sequence[str]) -> dict:
    """graphite-web's dashboard state (what its dashboard.js saves and loads): the last
    30 minutes, refreshed every 30 s, the graphs of :func:`graphs`."""
    quantity, units = "30", "minutes"
    size = {"width": WIDTH, "height": HEIGHT}
    defaults = {"from": f"-{quantity}{units}", "until": "now", **size}
    entries = []
    for graph in graphs(cluster, nodes, partitions):
        params = {**STYLE, "title": graph.title, **graph.params,
                  "target": list(graph.targets)}
        query = urllib.parse.urlencode({**defaults, **params}, doseq=True)
        entries.append([graph.title, params, f"/render?{query}"])
    return {"name": name(cluster),
            "timeConfig": {"type": "relative", "relativeStartQuantity": quantity,
                           "relativeStartUnits": units, "relativeUntilQuantity": "",
                           "relativeUntilUnits": "now", "startDate": "2026-01-01T00:00:00",
                           "startTime": "9:00 AM", "endDate": "2026-01-01T00:00:00",
                           "endTime": "5:00 PM"},
            "refreshConfig": {"enabled": True, "interval": 30_000},
            "graphSize": size, "defaultGraphParams": defaults, "graphs": entries}


def url(web: str, cluster: str) -> str:
    return f"{web.rstrip('/')}/dashboard/{name(cluster)}"


def save(web: str, cluster: str, nodes: Sequence[str], partitions: Sequence[str],
         timeout_s: float = 30) -> str:
    """Save the dashboard in graphite-web at ``web``; returns its URL."""
    body = urllib.parse.urlencode(
        {"state": json.dumps(state(cluster, nodes, partitions))}).encode()
    target = f"{web.rstrip('/')}/dashboard/save/{name(cluster)}"
    try:
        with urllib.request.urlopen(target, data=body, timeout=timeout_s) as answer:
            said = json.load(answer)
    except (OSError, ValueError) as err:
        raise ClusterError(f"graphite-web did not save dashboard {name(cluster)} "
                           f"({target}): {err}") from None
    if not said.get("success"):
        raise ClusterError(f"graphite-web refused dashboard {name(cluster)}: {said}")
    return url(web, cluster)


def saved(web: str, cluster: str, timeout_s: float = 30) -> dict | None:
    """The saved state of the cluster's dashboard (None: graphite-web has none)."""
    target = f"{web.rstrip('/')}/dashboard/load/{name(cluster)}"
    try:
        with urllib.request.urlopen(target, timeout=timeout_s) as answer:
            said = json.load(answer)
    except (OSError, ValueError) as err:
        raise ClusterError(f"graphite-web {target}: {err}") from None
    return said.get("state")   # a missing one is {"error": "Dashboard ... does not exist."}


def render(web: str, graph: Graph, fmt: str, since: str = FROM, until: str = "now",
           timeout_s: float = 60) -> bytes:
    """One graph through graphite-web's render API (``png`` or ``json``).

    graphite-web 1.1.8 answers 500 when an event (a fault, a job failure) falls on the
    ``until`` second (platform notes): with ``until=now`` the same graph a second later
    is drawn, so a 500 is asked again once, after a second."""
    query = urllib.parse.urlencode([*graph.render_params(since, until), ("format", fmt)])
    target = f"{web.rstrip('/')}/render?{query}"
    for attempt in (1, 2):
        try:
            with urllib.request.urlopen(target, timeout=timeout_s) as answer:
                return answer.read()
        except urllib.error.HTTPError as err:
            if err.code != 500 or until != "now" or attempt == 2:
                raise ClusterError(f"graphite-web did not render '{graph.title}': "
                                   f"{err}") from None
            time.sleep(1.1)
        except (OSError, ValueError) as err:
            raise ClusterError(f"graphite-web did not render '{graph.title}': {err}") from None
    raise AssertionError("unreachable")


def png(web: str, cluster: str, nodes: Sequence[str], partitions: Sequence[str],
        since: str = FROM, until: str = "now") -> bytes:
    """Every graph of the dashboard rendered and stacked into one PNG."""
    from workload.cluster.pngstack import stack
    return stack([render(web, g, "png", since, until)
                  for g in graphs(cluster, nodes, partitions)])

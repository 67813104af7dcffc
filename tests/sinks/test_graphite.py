"""Metrics to a real carbon-cache and annotations to a real graphite-web, read back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from workload.event import END, SUBMIT
from workload.sinks.annotations import AnnotationSink, wanted
from workload.sinks.graphite import GraphiteSink
from workload.sinks.synthetic import job_events

from .receivers import Carbon, GraphiteWeb, wait_for
from .streams import paced, run_sinks, seqs

pytestmark = pytest.mark.graphite


def series(web: GraphiteWeb, target: str, start: float, end: float, last: float) -> dict:
    """The points of ``target`` once its newest one reads ``last``."""
    def arrived() -> dict | None:
        points = web.render(target, start, end)
        return points if points and points[max(points)] == last else None
    return wait_for(arrived, 20, f"{target} to reach {last}", poll=0.5)


def annotations(web: GraphiteWeb, tags: str, start: float, end: float, count: int) -> list:
    def arrived() -> list | None:
        found = web.events(tags, start, end)
        return found if len(found) >= count else None
    return wait_for(arrived, 30, f"{count} annotations tagged {tags!r}", poll=0.5)


def test_gauges_and_event_counters_reach_carbon(graphite_web: GraphiteWeb, carbon: Carbon,
                                                tmp_path: Path) -> None:
    start = int(time.time()) - 100
    events = list(job_events(30, start, step_s=1.0))   # 90 events, one a second
    sink = GraphiteSink(carbon.address, interval_s=5, spool_dir=tmp_path)
    [report] = run_sinks([sink], events, "run.g1", gauges=lambda e: {"queue depth": e.seq})
    assert (report.buffered, report.dropped) == (0, 0)
    end = start + 95
    # run ids and gauge names are made path-safe: "run.g1" -> run_g1, "queue depth" -> queue_depth
    # graphite-web's "from" is exclusive: ask from a second before the first point
    depth = series(graphite_web, "wlgen.run_g1.queue_depth", start - 1, end, last=89)
    assert list(depth.items())[:3] == [(start, 0), (start + 5, 5), (start + 10, 10)]
    submits = series(graphite_web, "wlgen.run_g1.events.submit", start, end, last=30)
    assert all(a <= b for a, b in zip(list(submits.values()), list(submits.values())[1:]))
    failed = series(graphite_web, "wlgen.run_g1.ended.FAILED", start, end, last=3)
    assert failed[max(failed)] == 3


def test_annotations_carry_what_tags_data_when(graphite_web: GraphiteWeb,
                                               tmp_path: Path) -> None:
    start = int(time.time()) - 50
    events = list(job_events(10, start, step_s=1.0))
    sink = AnnotationSink(graphite_web.url, spool_dir=tmp_path)
    [report] = run_sinks([sink], events, "run-a1")
    assert (report.sent, report.buffered, report.dropped) == (30, 0, 0)
    found = annotations(graphite_web, "wlgen run-a1", start, start + 31, 30)
    by_seq = {json.loads(a["data"])["seq"]: a for a in found}
    assert len(found) == len(by_seq) == 30
    for event in events:
        got = by_seq[event.seq]
        assert got["what"] == f"job {event.job_id} {event.kind} {event.state}"
        assert got["when"] == int(event.time)
        assert got["tags"] == ["wlgen", "run-a1", event.kind, event.state, event.partition,
                               event.user]
        assert json.loads(got["data"]) == {"run_id": "run-a1", **event.to_dict()}


@pytest.mark.parametrize("filter_", ["startend", "failures"])
def test_annotation_filter(graphite_web: GraphiteWeb, tmp_path: Path, filter_: str) -> None:
    start = int(time.time()) - 50
    events = list(job_events(10, start, step_s=1.0))
    expected = [e.seq for e in events if wanted(e, filter_)]
    assert 0 < len(expected) < len(events)
    sink = AnnotationSink(graphite_web.url, filter_=filter_, spool_dir=tmp_path)
    run_sinks([sink], events, f"run-{filter_}")
    found = annotations(graphite_web, f"run-{filter_}", start, start + 31, len(expected))
    assert seqs(json.loads(a["data"]) for a in found) == expected
    assert {SUBMIT} - {a["tags"][2] for a in found} == {SUBMIT}
    if filter_ == "failures":
        assert {a["tags"][2] for a in found} == {END}


@pytest.mark.slow
def test_graphite_stopped_30s_mid_stream_loses_nothing_sends_nothing_twice(
        graphite_web: GraphiteWeb, carbon: Carbon, tmp_path: Path) -> None:
    def stop() -> None:
        graphite_web.stop()
        carbon.stop()

    def start() -> None:
        carbon.start()
        graphite_web.start()

    events = list(job_events(200, 0))   # 600 events at 15/s: 40 s, receivers away 5-35 s
    sinks = [GraphiteSink(carbon.address, interval_s=1, spool_dir=tmp_path, backoff_max_s=2),
             AnnotationSink(graphite_web.url, spool_dir=tmp_path, backoff_max_s=2)]
    begin = time.time()
    stream = paced(events, 15, at={5: stop, 35: start})
    reports = run_sinks(sinks, stream, "run-out", deadline_s=90,
                        gauges=lambda e: {"seq": e.seq})
    end = time.time()
    assert [(r.buffered, r.dropped) for r in reports] == [(0, 0), (0, 0)]
    found = annotations(graphite_web, "wlgen run-out", begin - 1, end, 600)
    assert seqs(json.loads(a["data"]) for a in found) == list(range(600))
    points = series(graphite_web, "wlgen.run-out.seq", begin - 1, end, last=599)
    seconds = sorted(points)
    gaps = [b - a for a, b in zip(seconds, seconds[1:])]
    assert max(gaps) <= 2, f"metric points missing around the outage: {gaps}"

"""Every annotation reaches a cluster's graphite-web (issue 17 §3: nothing lost).

Against the real monitoring container of a 1-node cluster: a burst of annotations far
larger than graphite-web takes at once (one event a request, ~110/s on a quiet host)
all arrive, each once, also across a graphite-web frozen mid-burst (its requests time
out, are saved when it resumes, and are retried: the bulk view skips events whose key
it has); and what a run could not deliver, left in the spool, goes with the next run to
the same graphite-web. Everything is read back through ``/events/get_data``.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from workload.cli.main import cli
from workload.cluster import Cluster, proc, wait_for
from workload.sinks.annotations import AnnotationSink
from workload.sinks.spool import parse
from workload.sinks.transports import EventsTransport
from workload.sinks.synthetic import job_events

from tests.clusters import monitored_cluster, per_run_name
from tests.sinks.streams import run_sinks

pytestmark = [pytest.mark.podman, pytest.mark.root, pytest.mark.slow]
NAME = per_run_name("wlgen-notes")
JOBS = 700          # 2,100 annotations: ~20 s of graphite-web's one-a-request /events/
DEADLINE_S = 600    # bounded; a quiet host needs seconds


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with monitored_cluster(NAME) as up:
        yield up


def annotations(web: str, run_id: str, since: float) -> list[dict]:
    # Synthetic events are 10 ms apart from ``since``: 2,100 reach 21 s past it.
    query = urllib.parse.urlencode({"tags": f"wlgen {run_id}", "from": int(since) - 5,
                                    "until": int(since) + 3600})
    with urllib.request.urlopen(f"{web}/events/get_data?{query}", timeout=120) as answer:
        return json.load(answer)


def seqs(notes: list[dict]) -> list[int]:
    """The events' sequence numbers, sorted, each as often as it was stored."""
    return sorted(json.loads(n["data"])["seq"] for n in notes)


def freeze(cluster: Cluster, frozen: bool) -> None:
    """Pause (or resume) the graphite container: its requests hang, as on a host too
    busy to answer, and are read after it resumes."""
    verb = "pause" if frozen else "unpause"
    proc.run(cluster.engine, [cluster.engine.name, verb, cluster.container("graphite")],
             timeout=60)


def test_a_burst_larger_than_graphite_web_takes_at_once_all_arrives(
        cluster: Cluster, tmp_path: Path) -> None:
    web, since = cluster.monitoring.graphite_web, time.time()
    sink = AnnotationSink(web, spool_dir=tmp_path, timeout_s=3)
    events = list(job_events(JOBS, since))
    first, rest = events[:200], events[200:]
    sink.open("burst-a")
    spool = sink.spool_path("burst-a")
    for event in first:
        sink.emit(event)
    wait_for(lambda: len(annotations(web, "burst-a", since)) >= 200, 300,
             "graphite-web taking the burst's first batch")
    # Frozen before the rest is emitted, so the condition under test always happens:
    # the sender's POSTs time out (each may still be saved once graphite-web resumes)
    # and the burst waits in the spool.
    freeze(cluster, True)
    try:
        for event in rest:   # all at once: the sender takes them in batches
            sink.emit(event)
        wait_for(lambda: parse(spool.read_bytes(), spool).records, 120,
                 "the sender parking the burst in its spool while graphite-web is away")
    finally:
        freeze(cluster, False)
    report = sink.close(DEADLINE_S)
    assert (report.sent, report.buffered, report.dropped) == (len(events), 0, 0)
    notes = annotations(web, "burst-a", since)
    # Each arrived once: a batch saved after the client's timeout is retried, and the
    # bulk view stores its events once by their keys.
    assert seqs(notes) == list(range(len(events)))


def test_what_a_run_left_in_the_spool_goes_with_the_next_run(
        cluster: Cluster, tmp_path: Path) -> None:
    web, since = cluster.monitoring.graphite_web, time.time()
    first = AnnotationSink(web, spool_dir=tmp_path, timeout_s=2)
    freeze(cluster, True)   # graphite-web away for the whole first run
    try:
        [left] = run_sinks([first], job_events(20, since), "spool-a", deadline_s=1)
    finally:
        freeze(cluster, False)
    assert (left.sent, left.buffered, left.dropped) == (0, 60, 0)
    assert left.spool_file == str(first.spool_path("spool-a")) and Path(left.spool_file).exists()

    second = AnnotationSink(web, spool_dir=tmp_path)
    [report] = run_sinks([second], job_events(5, time.time()), "spool-b", deadline_s=DEADLINE_S)
    assert (report.recovered, report.sent, report.buffered) == (60, 75, 0)
    assert not Path(left.spool_file).exists() and not list(tmp_path.glob("*.spool"))
    notes = wait_for(lambda: len(got := annotations(web, "spool-a", since)) >= 60 and got,
                     60, "the first run's annotations in graphite-web")
    assert seqs(notes) == list(range(60))
    assert seqs(annotations(web, "spool-b", since)) == list(range(15))


def test_a_malformed_event_in_a_batch_is_refused_alone(cluster: Cluster) -> None:
    web, since = cluster.monitoring.graphite_web, time.time()
    transport = EventsTransport(web, timeout=120)

    def note(seq: int, tags: object = ("wlgen", "bad-batch")) -> bytes:
        return json.dumps({"what": f"note {seq}", "tags": tags, "when": since + seq,
                           "data": json.dumps({"seq": seq})}).encode()
    # The batch is refused whole (400 naming the bad one): that one is refused alone and
    # the rest goes again in bulk (not one by one to /events/, which answers 500 to many).
    assert transport.send([note(0), note(1, tags=7), note(2), note(3)]) == 4
    assert transport.rejected == 1 and transport.bulk is True
    assert seqs(annotations(web, "bad-batch", since)) == [0, 2, 3]


def storm(cluster: Cluster, out: Path, *extra: str) -> dict:
    """A real-time simulated storm naming the cluster (its sinks and spool come from the
    cluster's monitoring alone); its accounting.json."""
    result = CliRunner().invoke(cli, [
        "storm", "--backend", "sim", "--cluster", cluster.name, "--realtime", "--jobs", "20",
        "--rate", "10", "--runtime", "0.5", "--out", str(out), "--json", *extra],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((out / "accounting.json").read_text())


def test_a_runs_undelivered_annotations_go_with_the_next_run_to_the_cluster(
        cluster: Cluster, tmp_path: Path) -> None:
    web, since = cluster.monitoring.graphite_web, time.time()
    freeze(cluster, True)   # graphite (carbon and graphite-web) away for the first run
    try:
        first = storm(cluster, tmp_path / "a", "--sink-deadline", "1")
    finally:
        freeze(cluster, False)
    left = first["sinks"]["annotations"]
    assert (left["sent"], left["buffered"], left["dropped"]) == (0, 60, 0)
    assert Path(left["spool_file"]).parent == Path(cluster.monitoring.spool_dir)
    run_a = json.loads((tmp_path / "a" / "metrics.json").read_text())["run_id"]

    second = storm(cluster, tmp_path / "b")["sinks"]["annotations"]
    assert (second["recovered"], second["sent"], second["buffered"]) == (60, 120, 0)
    assert not Path(left["spool_file"]).exists()
    recorded = {(e["seq"], e["kind"]) for e in map(json.loads, (tmp_path / "a" / "events.jsonl")
                                                   .read_text().splitlines())}
    notes = annotations(web, run_a, since)   # a request the freeze held is stored once
    assert sorted((d["seq"], d["kind"]) for d in (json.loads(n["data"]) for n in notes)) \
        == sorted(recorded)
    assert len(recorded) == 60

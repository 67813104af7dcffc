"""The monitoring image's bulk events view (containers/monitoring/wlgen_graphite_events.py)
in a real graphite-web: idempotent by the events' keys, so a batch saved after the
client's timeout is not stored twice, and a malformed event is refused with 400 and its
index (graphite-web's own view answers 500 to most, which a client retries for ever)."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import replace
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workload.sinks.annotations import AnnotationSink
from workload.sinks.synthetic import job_events
from workload.sinks.transports import EventsTransport

from .receivers import Carbon, GraphiteWeb, wait_for

pytestmark = [pytest.mark.graphite]


@pytest.fixture
def bulk_web(tmp_path: Path, carbon: Carbon) -> Iterator[GraphiteWeb]:
    with GraphiteWeb(tmp_path / "bulk-web", carbon, bulk=True) as service:
        yield service


def note(seq: int, since: float, run: str = "bulk", **fields: Any) -> dict[str, Any]:
    return {"what": f"note {seq}", "tags": ["wlgen", run], "when": since + seq,
            "data": json.dumps({"seq": seq}), "key": f"{run}:{seq}", **fields}


def post(web: GraphiteWeb, body: bytes, content_type: str = "application/json"
         ) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{web.url}/wlgen/events/", data=body, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def stored(web: GraphiteWeb, run: str, since: float) -> list[int]:
    return sorted(json.loads(e["data"])["seq"] for e in web.events(f"wlgen {run}", since - 5,
                                                                   since + 3600))


def test_a_batch_posted_twice_is_stored_once(bulk_web: GraphiteWeb) -> None:
    since = time.time()
    batch = json.dumps([note(i, since) for i in range(20)]).encode()
    assert post(bulk_web, batch) == (200, {"saved": 20, "duplicates": 0})
    assert post(bulk_web, batch) == (200, {"saved": 0, "duplicates": 20})
    assert stored(bulk_web, "bulk", since) == list(range(20))


def test_a_batch_saved_after_the_clients_timeout_is_not_stored_twice(
        bulk_web: GraphiteWeb) -> None:
    since = time.time()
    batch = [json.dumps(note(i, since, run="late")).encode() for i in range(40)]
    transport = EventsTransport(bulk_web.url, timeout=2)
    bulk_web.freeze(True)   # the POST is read, and saved, only after the client gave up
    try:
        with pytest.raises(OSError, match="timed out"):
            transport.send(batch)
    finally:
        bulk_web.freeze(False)
    assert transport.limit == 20   # the retry sends half as many at once
    wait_for(lambda: len(stored(bulk_web, "late", since)) == 40, 120,
             "graphite-web saving the batch it read after the timeout")
    transport.timeout = 120   # the retries must not time out on a loaded host
    sent = 0
    while sent < len(batch):
        sent += transport.send(batch[sent:])
    assert stored(bulk_web, "late", since) == list(range(40))   # each once
    assert transport.limit is None   # back to whole batches once confirmed


BAD = {"no what": {"what": None}, "empty what": {"what": ""},
       "data an object": {"data": {"seq": 1}}, "when overflowing": {"when": 1e300},
       "when a string": {"when": "soon"}, "tags of numbers": {"tags": [1, 2]},
       "key a number": {"key": 7}}


@pytest.mark.parametrize("fields", BAD.values(), ids=BAD.keys())
def test_a_malformed_event_is_refused_with_400_and_its_index(
        bulk_web: GraphiteWeb, fields: dict[str, Any]) -> None:
    since = time.time()
    batch = [note(0, since), note(1, since), {**note(2, since), **fields}]
    status, said = post(bulk_web, json.dumps(batch).encode())
    assert (status, said["index"]) == (400, 2), said
    assert stored(bulk_web, "bulk", since) == []   # all or nothing


def test_the_transport_refuses_the_bad_event_alone_and_sends_the_rest_in_bulk(
        bulk_web: GraphiteWeb) -> None:
    since = time.time()
    batch = [note(0, since), {**note(1, since), "data": {"x": 1}}, note(2, since),
             {**note(3, since), "when": 1e300}, note(4, since)]
    transport = EventsTransport(bulk_web.url, timeout=120)
    assert transport.send([json.dumps(e).encode() for e in batch]) == 5
    assert transport.rejected == 2 and transport.bulk is True
    assert stored(bulk_web, "bulk", since) == [0, 2, 4]


def test_a_body_not_json_or_too_long_is_refused_whole(bulk_web: GraphiteWeb) -> None:
    since = time.time()
    body = json.dumps([note(0, since)]).encode()
    status, said = post(bulk_web, body, content_type="text/plain")
    assert status == 415 and "application/json" in said["error"]
    huge = json.dumps([note(i, since, what="x" * 200, data="y" * 10_000)
                       for i in range(300)]).encode()   # ~3 MB: over Django's 2.5 MiB
    status, said = post(bulk_web, huge)
    assert status == 413 and "bytes" in said["error"]
    assert stored(bulk_web, "bulk", since) == []


def test_each_event_of_a_job_has_a_key_of_its_own_and_keeps_it() -> None:
    # In a run a job's events share its seq (synthetic ones do not): submit, start, a
    # requeue's second start later, end.
    submit, start, end = list(job_events(1, 1.7e9))[:3]
    one_job = [replace(e, seq=0) for e in (submit, start, end)]
    one_job.insert(2, replace(one_job[1], time=one_job[1].time + 60))
    sink = AnnotationSink("http://127.0.0.1:1")
    sink.run_id = "run-a"
    keys = [sink.annotation(e)["key"] for e in one_job]
    assert len(set(keys)) == 4 and all(k.startswith("run-a:0:") for k in keys)
    assert [sink.annotation(e)["key"] for e in one_job] == keys   # a retry sends the same


def test_a_deleted_event_can_be_stored_again_and_its_key_goes_with_it(
        bulk_web: GraphiteWeb) -> None:
    since = time.time()
    batch = json.dumps([note(i, since, run="gone") for i in range(5)]).encode()
    assert post(bulk_web, batch) == (200, {"saved": 5, "duplicates": 0})
    database = bulk_web.root / "graphite.db"
    with sqlite3.connect(database) as db:   # as graphite-web's admin deletes them
        db.execute("DELETE FROM events_event WHERE what IN ('note 1', 'note 3')")
    # Their keys stayed for the container's life: the events were never stored again.
    assert post(bulk_web, batch) == (200, {"saved": 2, "duplicates": 3})
    assert stored(bulk_web, "gone", since) == list(range(5))
    with sqlite3.connect(database) as db:
        keys = db.execute("SELECT k.key FROM wlgen_event_key k JOIN events_event e "
                          "ON e.id = k.event_id").fetchall()
        assert sorted(k for k, in keys) == [f"gone:{i}" for i in range(5)]
        assert db.execute("SELECT count(*) FROM wlgen_event_key").fetchone() == (5,)

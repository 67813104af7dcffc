"""A refused annotation is counted once and never blocks the ones behind it: against an
HTTP server answering as graphite-web and its bulk view do (tests/sinks/scripted.py),
through the sink's Delivery, so the report's sent / buffered / dropped are what is
checked (each record in exactly one of them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workload.sinks import transports
from workload.sinks.delivery import Delivery
from workload.sinks.spool import Spool
from workload.sinks.transports import ALONE_TRIES, EventsTransport

from .scripted import bulk_view, scripted_web

BULK, SINGLE = "/wlgen/events/", "/events/"


def event(what: str, seq: int = 0) -> bytes:
    return json.dumps({"what": what, "tags": ["wlgen"], "data": "{}", "when": 1.7e9 + seq,
                       "key": f"run:{seq}:{what}"}).encode()


def deliver(base: str, records: list[bytes], tmp_path: Path, **options: Any
            ) -> tuple[Delivery, EventsTransport]:
    transport = EventsTransport(base, timeout=60)
    sender = Delivery("annotations", transport, lambda item: [item], tmp_path / "s.spool",
                      backoff_s=0.01, backoff_max_s=0.05, **options)
    for record in records:
        sender.put(record)
    return sender, transport


def test_an_event_refused_before_an_outage_is_counted_once(tmp_path: Path) -> None:
    answers = iter([None, (503, {"error": "away"})])   # the 2nd POST meets an outage

    def answer(path: str, body: bytes) -> tuple[int, Any]:
        scripted = next(answers, None)
        return scripted or bulk_view(body)
    with scripted_web(answer) as web:
        sender, _ = deliver(web.base, [event("bad"), event("a", 1), event("b", 2)], tmp_path)
        report = sender.close(60)
    assert (report.sent, report.buffered, report.dropped) == (2, 0, 1)
    saved = [e["what"] for batch in web.posted(BULK)[-1:] for e in batch]
    assert saved == ["a", "b"]   # the bad one was never posted again after its refusal
    assert sum(1 for batch in web.posted(BULK) for e in batch if e["what"] == "bad") == 1


def test_a_batch_sent_in_parts_to_a_healthy_receiver_is_never_backed_off(
        tmp_path: Path) -> None:
    # As after a timeout: one event a POST, doubled after each. A partly sent batch was
    # taken for an outage and backed off; with a backoff of 10 min, only the first part
    # was sent before the deadline.
    with scripted_web(lambda path, body: bulk_view(body)) as web:
        transport = EventsTransport(web.base, timeout=60)
        transport.limit = 1
        sender = Delivery("annotations", transport, lambda item: [item],
                          tmp_path / "s.spool", batch_max=200, backoff_s=600,
                          backoff_max_s=600)
        for seq in range(200):
            sender.put(event("ok", seq))
        report = sender.close(60)
    assert (report.sent, report.buffered, report.dropped) == (200, 0, 0)
    assert [len(b) for b in web.posted(BULK)] == [1, 2, 4, 8, 16, 32, 64, 73]
    assert transport.limit is None


def test_one_event_too_large_alone_is_refused_and_the_rest_goes(tmp_path: Path) -> None:
    def answer(path: str, body: bytes) -> tuple[int, Any]:
        if b'"huge"' in body:
            return 413, {"error": "body over 2621440 bytes"}
        return bulk_view(body)
    with scripted_web(answer) as web:
        sender, _ = deliver(web.base, [event("a"), event("huge", 1), event("b", 2)],
                            tmp_path)
        report = sender.close(60)
    assert (report.sent, report.buffered, report.dropped) == (2, 0, 1)
    saved = [[e["what"] for e in b] for b in web.posted(BULK)
             if all(e["what"] != "huge" for e in b)]
    assert saved == [["a"], ["b"]] and web.posted(SINGLE) == []


def test_an_event_graphite_web_answers_500_is_refused_after_a_few_tries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transports, "ALONE_SPAN_S", 0.0)   # tries are what is tested
    # No bulk view (404): one POST an event to graphite-web's own /events/, which answers
    # 500 to an event it cannot save. It was retried for ever, the events behind it held.
    def answer(path: str, body: bytes) -> tuple[int, Any]:
        if path == BULK:
            return 404, {"error": "not found"}
        return (500, {"error": "server error"}) if b'"bad"' in body else (200, {})
    with scripted_web(answer) as web:
        sender, _ = deliver(web.base, [event("bad"), event("a", 1)], tmp_path)
        report = sender.close(60)
    assert (report.sent, report.buffered, report.dropped) == (1, 0, 1)
    whats = [e["what"] for e in web.posted(SINGLE)]
    assert whats == ["bad"] * ALONE_TRIES + ["a"]


def test_a_graphite_web_answering_500_to_everything_for_a_while_loses_nothing(
        tmp_path: Path) -> None:
    # Its database locked: 500 to every event, more than ALONE_TRIES times, then saved.
    answers = iter([(404, {"error": "not found"})] + [(500, {"error": "locked"})] * 8)

    def answer(path: str, body: bytes) -> tuple[int, Any]:
        return next(answers, (200, {}))
    with scripted_web(answer) as web:
        sender, _ = deliver(web.base, [event("a"), event("b", 1)], tmp_path)
        report = sender.close(60)
    assert (report.sent, report.buffered, report.dropped) == (2, 0, 0)
    assert [e["what"] for e in web.posted(SINGLE)] == ["a"] * 9 + ["b"]


def test_a_corrupted_spool_line_is_refused_and_the_batch_around_it_goes_in_bulk(
        tmp_path: Path) -> None:
    # A line that is not JSON made the whole bulk body unreadable (400, no index), then
    # one POST an event to /events/, which answers 500 to it: retried for ever.
    left = Spool(tmp_path / "dead.spool")
    left.extend([event("a"), b'{"what": "b", "tags": [\x00', event("c", 2)])
    left.close()
    with scripted_web(lambda path, body: bulk_view(body)) as web:
        sender, _ = deliver(web.base, [], tmp_path, adopt=[tmp_path / "dead.spool"])
        report = sender.close(60)
    assert (report.recovered, report.sent, report.buffered, report.dropped) == (3, 2, 0, 1)
    assert [[e["what"] for e in b] for b in web.posted(BULK)] == [["a"], ["c"]]
    assert web.posted(SINGLE) == []

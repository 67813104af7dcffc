"""Delivery's loss paths at the close of a run, against real sockets: a receiver that
accepts and never answers (a frozen process), one that dies mid-answer; and the relay
closing its sinks within one deadline."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from workload.cluster.wait import wait_for
from workload.event import Event
from workload.sinks import delivery
from workload.sinks.base import Sink, SinkReport, sink_detail
from workload.sinks.delivery import Delivery
from workload.sinks.relay import close_all
from workload.sinks.spool import parse
from workload.sinks.transports import EventsTransport, HttpPostTransport, StreamTransport


@contextmanager
def frozen_receiver() -> Iterator[socket.socket]:
    """A listening socket nobody accepts on: connections complete in the kernel's
    backlog and are never read, as with a receiver whose process is stopped."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener


def wait_for_a_connection(listener: socket.socket) -> None:
    readable, _, _ = select.select([listener], [], [], 60)
    assert readable, "the sender never connected"


def test_records_in_memory_when_a_send_hangs_past_the_deadline_are_in_the_spool_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "GRACE_S", 0.2)
    with frozen_receiver() as listener:
        port = listener.getsockname()[1]
        sender = Delivery("logstash", StreamTransport("127.0.0.1", port, timeout=300),
                          lambda item: [item], tmp_path / "s.spool")
        for i in range(10):
            sender.put(b"r%d" % i)
        wait_for_a_connection(listener)   # the first ten are in memory, being sent
        for i in range(10, 15):
            sender.put(b"r%d" % i)        # queued behind the hung send
        report = sender.close(0.1)
        assert (report.sent, report.buffered, report.dropped) == (0, 15, 0)
        assert report.spool_file == str(tmp_path / "s.spool")
        kept = parse(Path(report.spool_file).read_bytes(), Path(report.spool_file)).records
        assert kept == [b"r%d" % i for i in range(15)]   # what the report says waits, waits


def test_a_cut_record_in_a_dead_runs_spool_is_counted_in_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "GRACE_S", 0.2)
    (tmp_path / "dead.spool").write_bytes(b"r1\nr2\nr3-cut")
    with frozen_receiver() as listener:
        port = listener.getsockname()[1]
        sender = Delivery("logstash", StreamTransport("127.0.0.1", port, timeout=300),
                          lambda item: [item], tmp_path / "s.spool",
                          adopt=[tmp_path / "dead.spool"])
        report = sender.close(0)
    assert (report.recovered, report.buffered, report.cut, report.dropped) == (2, 2, 1, 1)
    assert report.to_dict()["cut"] == 1   # as accounting.json has it
    assert "1 of the dropped cut mid-line" in sink_detail(report)


def read_request(conn: socket.socket) -> None:
    conn.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length and (chunk := conn.recv(65536)):
        body += chunk


class DyingWeb:
    """Where a dying_web is, and how many requests it has read."""

    def __init__(self, base: str) -> None:
        self.base, self.requests = base, 0


@contextmanager
def dying_web(answer: bytes) -> Iterator[DyingWeb]:
    """An HTTP server that reads one request at a time and answers ``answer`` (then
    closes): a graphite-web dying mid-answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()
    web = DyingWeb(f"http://127.0.0.1:{listener.getsockname()[1]}")

    def serve() -> None:
        listener.settimeout(0.1)   # to see ``stop``: closing it would not end accept()
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                read_request(conn)   # all of it: unread bytes would make the close a reset
                web.requests += 1
                conn.sendall(answer)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield web
    finally:
        stop.set()
        thread.join(30)
        listener.close()


CUT_SHORT = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"   # IncompleteRead
NOT_HTTP = b"garbage\r\n\r\n"                                         # BadStatusLine


@pytest.mark.parametrize("answer", [CUT_SHORT, NOT_HTTP], ids=["cut-short", "not-http"])
def test_an_answer_cut_short_is_the_receiver_being_away(answer: bytes) -> None:
    with dying_web(answer) as web:
        base = web.base
        with pytest.raises(OSError, match="POST failed"):
            HttpPostTransport(base + "/events/").send([b"{}"])
        with pytest.raises(OSError, match="wlgen/events/ failed"):
            EventsTransport(base).send([b"{}"])


def test_the_sender_thread_retries_through_a_dying_web(tmp_path: Path) -> None:
    with dying_web(CUT_SHORT) as web:
        sender = Delivery("annotations", EventsTransport(web.base), lambda item: [item],
                          tmp_path / "s.spool", backoff_max_s=0.2)
        sender.put(b"{}")
        # A thread ended by the first cut answer would never ask a third time.
        wait_for(lambda: web.requests >= 3, 60, "the sender to retry the dying web")
        report = sender.close(1.0)
    assert (report.sent, report.buffered) == (0, 1)


class _Closing(Sink):
    """A sink whose close returns only when every sink of the relay is closing."""

    def __init__(self, name: str, together: threading.Barrier) -> None:
        self.name, self.together = name, together

    def emit(self, event: Event) -> None:
        """Nothing to send."""

    def close(self, deadline_s: float) -> SinkReport:
        self.together.wait()   # one close after another: BrokenBarrierError
        return SinkReport(self.name, sent=0)


def test_the_relay_closes_its_sinks_at_once_within_one_deadline() -> None:
    together = threading.Barrier(3, timeout=60)
    sinks: list[Sink] = [_Closing(name, together) for name in ("a", "b", "c")]
    assert [r.name for r in close_all(sinks, 1.0)] == ["a", "b", "c"]
    assert close_all([], 1.0) == []


def serve_one(listener: socket.socket) -> bytes:
    """Accept one connection, read it to its end and close it (what send_stream waits
    for): one batch confirmed. The records it carried."""
    listener.settimeout(60)
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(60)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    return data


def test_records_held_in_memory_past_park_s_are_in_the_spool_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A receiver slower than the run: what waits behind the batch in flight was kept in
    # memory (up to 10,000 records), lost to a SIGKILLed relay. Past PARK_S it is on disk.
    monkeypatch.setattr(delivery, "PARK_S", 0.0)
    monkeypatch.setattr(delivery, "GRACE_S", 0.2)
    records = [b"r%d" % i for i in range(10)]
    with frozen_receiver() as listener:
        port = listener.getsockname()[1]
        sender = Delivery("logstash", StreamTransport("127.0.0.1", port, timeout=300),
                          lambda item: [item], tmp_path / "s.spool", batch_max=2)
        for record in records:
            sender.put(record)
        first = serve_one(listener).split()
        wait_for_a_connection(listener)   # the next batch in flight: the rest on disk
        on_disk = parse((tmp_path / "s.spool").read_bytes(), tmp_path / "s.spool").records
        assert first and on_disk == records[len(first):]
        report = sender.close(0.1)
    assert (report.sent, report.buffered) == (len(first), 10 - len(first))

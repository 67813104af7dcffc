"""Logstash JSON lines into a real rsyslog (imtcp/imudp + mmjsonparse), read back field by field."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from workload.errors import InputError
from workload.sinks.logstash import LogstashSink, iso8601, parse_endpoint
from workload.sinks.synthetic import job_events
from workload.sinks.spool import parse

from .receivers import Rsyslog, wait_for
from .streams import paced, run_sinks, seqs

pytestmark = pytest.mark.rsyslog


def received(rsyslog: Rsyslog, count: int) -> list[dict]:
    def enough() -> list[dict] | None:
        records = rsyslog.records()
        return records if len(records) >= count else None
    return wait_for(enough, 20, f"{count} records in {rsyslog.output}")


@pytest.mark.parametrize("scheme", ["tcp", "udp"])
def test_every_field_arrives(rsyslog: Rsyslog, tmp_path: Path, scheme: str) -> None:
    events = list(job_events(20, 1.7e9))
    sink = LogstashSink(rsyslog.url(scheme), spool_dir=tmp_path)
    [report] = run_sinks([sink], events, "run-ls")
    assert (report.sent, report.buffered, report.dropped) == (60, 0, 0)
    records = received(rsyslog, 60)
    by_seq = {r["seq"]: r for r in records}
    assert len(records) == len(by_seq) == 60
    for event in events:
        doc = by_seq[event.seq]
        assert doc["@timestamp"] == iso8601(event.time)
        assert (doc["@version"], doc["type"], doc["run_id"]) == ("1", "wlgen", "run-ls")
        assert doc["host"] == sink.hostname
        for name, value in event.to_dict().items():
            assert doc[name] == value, name


def test_timestamp_is_iso8601_utc_with_milliseconds() -> None:
    assert iso8601(0.1234) == "1970-01-01T00:00:00.123Z"


def test_bad_endpoint_is_an_input_error() -> None:
    with pytest.raises(InputError, match="tcp://HOST:PORT"):
        parse_endpoint("http://127.0.0.1:5000")


def test_receiver_away_with_bound_reports_buffered_and_dropped(rsyslog: Rsyslog,
                                                                tmp_path: Path) -> None:
    rsyslog.stop()
    sink = LogstashSink(rsyslog.url(), spool_dir=tmp_path, buffer_max=40)
    [report] = run_sinks([sink], job_events(20, 1.7e9), "run-bound", deadline_s=0.5)
    assert (report.sent, report.buffered, report.dropped) == (0, 40, 20)
    assert report.spool_file == str(sink.spool_path("run-bound"))   # the report says where
    kept = Path(report.spool_file)
    assert len(parse(kept.read_bytes(), kept).records) == 40


@pytest.mark.slow
def test_receiver_stopped_30s_mid_stream_loses_nothing_sends_nothing_twice(
        rsyslog: Rsyslog, tmp_path: Path) -> None:
    events = list(job_events(400, 0))   # 1200 events at 30/s: 40 s, receiver away 5-35 s
    sink = LogstashSink(rsyslog.url(), spool_dir=tmp_path, backoff_max_s=2.0)
    stream = paced(events, 30, at={5: rsyslog.stop, 35: rsyslog.start})
    started = time.monotonic()
    [report] = run_sinks([sink], stream, "run-outage", deadline_s=60)
    assert time.monotonic() - started >= 35
    assert (report.sent, report.buffered, report.dropped) == (1200, 0, 0)
    records = received(rsyslog, 1200)
    assert seqs(records) == list(range(1200))   # each once: no loss, no duplicate

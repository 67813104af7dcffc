"""events.jsonl: the fast record equals Event.to_dict, lines round-trip, tail follows."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from workload.event import Event
from workload.rundir import read_events
from workload.sinks.jsonl import JsonlSink, follow_lines
from workload.sinks.synthetic import job_events


def test_event_json_line_equals_to_dict_for_every_field() -> None:
    event = Event("end", 1.5, 7, "42", "FAILED", "alice", "batch", 8, ("n1", "n2"), 3, "oom",
                  submit_latency_s=0.01, submit_error_s=0.002)
    assert set(event.to_dict()) == set(Event.__dataclass_fields__)
    assert json.loads(event.to_json()) == event.to_dict()


def test_sink_writes_every_event_and_reads_back(tmp_path: Path) -> None:
    events = list(job_events(100, 1e9))
    sink = JsonlSink(tmp_path / "run" / "events.jsonl")
    sink.open("r1")
    for event in events:
        sink.emit(event)
    report = sink.close(1.0)
    assert (report.sent, report.buffered, report.dropped) == (300, 0, 0)
    assert list(read_events(sink.path)) == events


def test_follow_lines_waits_for_whole_lines_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    done = threading.Event()

    def writer() -> None:
        with open(path, "w") as out:
            out.write('{"a":')
            out.flush()
            time.sleep(0.3)
            out.write('1}\n{"b":2}\n')
        done.set()

    threading.Thread(target=writer).start()
    lines = list(follow_lines(path, stop=done.is_set, poll_s=0.05))
    assert lines == ['{"a":1}', '{"b":2}']

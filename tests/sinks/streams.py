"""Feeding sinks from tests: all events at once, or paced in real time around an outage."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence

from workload.event import Event
from workload.sinks.base import Sink, SinkReport


def run_sinks(sinks: Sequence[Sink], events: Iterable[Event], run_id: str,
              deadline_s: float = 30.0, gauges: Callable[[Event], dict] | None = None
              ) -> list[SinkReport]:
    """open, emit every event (and a sample after each when ``gauges``), close."""
    for sink in sinks:
        sink.open(run_id)
    for event in events:
        for sink in sinks:
            sink.emit(event)
            if gauges:
                sink.sample(event.time, gauges(event))
    return [sink.close(deadline_s) for sink in sinks]


def paced(events: Sequence[Event], rate: float,
          at: dict[float, Callable[[], None]] | None = None) -> Iterable[Event]:
    """Yield ``events`` at ``rate`` per second, each re-stamped with the current time;
    call ``at[s]`` once ``s`` seconds into the stream (e.g. stop or start a receiver)."""
    actions = sorted((at or {}).items())
    start = time.monotonic()
    for i, event in enumerate(events):
        due = start + i / rate
        while actions and time.monotonic() - start >= actions[0][0]:
            actions.pop(0)[1]()
        time.sleep(max(0.0, due - time.monotonic()))
        yield Event(**{**event.to_dict(), "time": time.time(), "nodes": event.nodes})
    for _, action in actions:
        action()


def seqs(records: Iterable[dict]) -> list[int]:
    return sorted(int(r["seq"]) for r in records)

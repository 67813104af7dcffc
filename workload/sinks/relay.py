"""Sinks in their own process, following events.jsonl: the generator pays nothing for them.

The run writes every event to events.jsonl (the record of truth) anyway. The relay reads
that file as it grows and feeds the network sinks, so their encoding and sending never
take the generator's CPU or its GIL, and the file itself is the buffer: a sink that
falls behind, or a relay that starts late, loses nothing. Gauges for the metric sinks
are folded from the same events, at the configured interval of event time.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

from workload.event import Event
from workload.rundir import EVENTS
from workload.sinks.base import SinkReport
from workload.sinks.config import SinkOptions, build_sinks
from workload.sinks.gauges import Gauges
from workload.sinks.jsonl import follow_lines

REPORTS = "sinks.json"
POLL_S = 0.05


class SinkRelay:
    """Start with ``start()``; ``finish()`` after events.jsonl is closed returns reports."""

    def __init__(self, options: SinkOptions, run_dir: Path, run_id: str, total_cpus: int) -> None:
        self.options, self.run_dir, self.run_id = options, run_dir, run_id
        context = multiprocessing.get_context("spawn")    # no forking of a threaded parent
        self._done = context.Event()
        self._process = context.Process(
            target=relay_main, name="wlgen-sinks", daemon=True,
            args=(options, run_dir, run_id, total_cpus, self._done, os.getpid()))

    def start(self) -> None:
        self._process.start()

    def finish(self) -> list[SinkReport]:
        """Tell the relay the file is complete; wait for it to flush within the deadline."""
        self._done.set()
        self._process.join(self.options.deadline + 30)
        if self._process.is_alive():
            self._process.kill()
        path = self.run_dir / REPORTS
        if not path.exists():
            return [SinkReport("relay", sent=0, buffered=-1)]
        return [SinkReport(name, **counts) for name, counts in json.loads(path.read_text()).items()]


def relay_main(options: SinkOptions, run_dir: Path, run_id: str, total_cpus: int,
               done, parent: int) -> None:
    """The relay process: follow the file, feed the sinks, report at the end."""
    # Lowest CPU priority: on a busy machine the generator keeps its CPU and the relay
    # catches up later; the file is its buffer, so lagging loses nothing.
    os.nice(19)
    sinks = build_sinks(options, run_dir)
    for sink in sinks:
        sink.open(run_id)
    gauges, interval, next_sample = Gauges(total_cpus), options.metrics_interval, None
    last_time = None

    def stop() -> bool:
        return done.is_set() or os.getppid() != parent

    for line in follow_lines(run_dir / EVENTS, stop, poll_s=POLL_S):
        event = Event.from_dict(json.loads(line))
        gauges.add(event)
        for sink in sinks:
            sink.emit(event)
        last_time = event.time
        if next_sample is None or event.time >= next_sample:
            _sample(sinks, event.time, gauges)
            next_sample = event.time + interval
    if last_time is not None:
        _sample(sinks, last_time, gauges)
    reports = {r.name: r.to_dict() for r in (s.close(options.deadline) for s in sinks)}
    (run_dir / REPORTS).write_text(json.dumps(reports))


def _sample(sinks, time: float, gauges: Gauges) -> None:
    values = gauges.snapshot()
    for sink in sinks:
        sink.sample(time, values)

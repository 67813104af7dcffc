"""Everything a run does with its lifecycle events: file, schedule, metrics, sinks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workload.event import SUBMIT, Event
from workload.metrics import MetricsAccumulator
from workload.rundir import ACCOUNTING, EVENTS, METRICS, SCHEDULE, write_json
from workload.schedule import ScheduleBuilder
from workload.sinks.base import Sink, SinkReport
from workload.spec import JobSpec
from workload.swf import Header
from workload.swfout import ScheduleWriter


class Recorder:
    """Takes every event in order and keeps the run directory true to them.

    events.jsonl is written first, before any sink sees an event: it is the record of
    truth even if a sink fails.
    """

    def __init__(self, run_dir: Path, *, run_id: str, total_cpus: int, epoch: float,
                 header: Header | None = None, sinks: Sequence[Sink] = ()) -> None:
        self.run_dir, self.run_id = run_dir, run_id
        self._events = open(run_dir / EVENTS, "w", encoding="utf-8", buffering=1 << 20)
        self.schedule = ScheduleBuilder()
        self.metrics = MetricsAccumulator(total_cpus)
        self.swf = ScheduleWriter(run_dir / SCHEDULE, header or Header(), epoch)
        self.sinks = list(sinks)
        self.events_written = 0
        for sink in self.sinks:
            sink.open(run_id)

    def remember(self, spec: JobSpec) -> None:
        self.swf.remember(spec)

    def record(self, event: Event) -> None:
        self._events.write(event.to_json() + "\n")
        self.events_written += 1
        if event.kind == SUBMIT:
            self.metrics.add_submit(event.submit_latency_s, event.submit_error_s)
        job = self.schedule.add(event)
        if job is not None:
            self.metrics.add_job(job)
            self.swf.add(job)
        for sink in self.sinks:
            sink.emit(event)

    def sample(self, time: float, gauges: dict[str, float]) -> None:
        for sink in self.sinks:
            sink.sample(time, gauges)

    def flush(self) -> None:
        self._events.flush()

    def finish(self, extra: dict[str, object], *, sink_deadline_s: float = 30.0
               ) -> tuple[dict[str, object], list[SinkReport]]:
        """Close files and sinks, write metrics.json and accounting.json; return both."""
        self._events.close()
        self.swf.close()
        reports = [sink.close(sink_deadline_s) for sink in self.sinks]
        metrics = {**self.metrics.result(), **extra}
        unfinished = self.schedule.unfinished
        metrics["unaccounted"] = len(unfinished)
        write_json(self.run_dir / ACCOUNTING, {
            "submitted": self.metrics.submitted,
            "ended": sum(self.metrics.states.values()),
            "by_state": dict(self.metrics.states),
            "unaccounted_seqs": unfinished,
            "events": self.events_written,
            "sinks": {r.name: r.to_dict() for r in reports},
        })
        write_json(self.run_dir / METRICS, metrics)
        return metrics, reports

"""Everything a run does with its lifecycle events: file, schedule, metrics, sinks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from workload.event import SUBMIT, Event
from workload.run.metrics import MetricsAccumulator
from workload.run.schedule import EventPairer
from workload.rundir import (EVENTS, REQUESTS, SCHEDULE, open_lines, spec_line,
                             write_accounting, write_metrics)
from workload.sinks.base import SinkReport
from workload.sinks.jsonl import JsonlSink
from workload.spec import JobSpec
from workload.swf import Header
from workload.run.swfout import SwfScheduleWriter


class Recorder:
    """Takes every event in order and keeps the run directory true to them.

    events.jsonl is the record of truth; network sinks read it from a separate process
    (workload.sinks.relay), so they can neither slow the run nor lose its events.
    """

    def __init__(self, run_dir: Path, *, run_id: str, total_cpus: int, epoch: float,
                 header: Header | None = None, total_gpus: int = 0) -> None:
        self.run_dir, self.run_id = run_dir, run_id
        self.events = JsonlSink(run_dir / EVENTS)
        self.events.open(run_id)
        self.schedule = EventPairer()
        self.metrics = MetricsAccumulator(total_cpus, total_gpus=total_gpus)
        self._gpus_asked: dict[int, int] = {}   # seq -> GPUs, for backends that name none
        self.swf = SwfScheduleWriter(run_dir / SCHEDULE, header or Header(), epoch)
        self.requests = open_lines(run_dir / REQUESTS)

    def remember(self, spec: JobSpec) -> None:
        """A job about to be submitted: what the events won't say (limit, memory, deps)."""
        self.requests.write(spec_line(spec))
        if spec.gpus:
            self._gpus_asked[spec.seq] = spec.gpus
        self.swf.remember(spec)

    def record(self, event: Event) -> None:
        self.events.emit(event)
        if event.kind == SUBMIT:
            self.metrics.add_submit(event.submit_latency_s, event.submit_error_s)
        job = self.schedule.add(event)
        if job is not None:
            self.metrics.add_job(job, self._gpus_asked.pop(job.seq, None))
            self.swf.add(job)

    @property
    def events_written(self) -> int:
        return self.events.sent

    def flush(self) -> None:
        self.events.flush()

    def close(self) -> None:
        """Close events.jsonl, requests.jsonl and schedule.swf (before the sink relay's
        last read)."""
        self.events.close(0)
        self.requests.close()
        self.swf.close()

    def finish(self, extra: dict[str, object], reports: Sequence[SinkReport] = (),
               unsent: Sequence[int] = ()) -> dict[str, object]:
        """Write metrics.json and accounting.json (with the sinks' reports); return metrics.
        ``unsent``: jobs handed to the backend that it never sent (not_submitted_seqs)."""
        metrics = {**self.metrics.result(), **extra}
        # Handed to the backend and never ended: with a submit event, or without one (still
        # waiting for a submit worker, or accepted but never seen, when the run stopped).
        unfinished = sorted((set(self.schedule.unfinished) | self.swf.specs.keys())
                            - set(unsent))
        metrics["unaccounted"] = len(unfinished)
        write_accounting(self.run_dir, {
            "submitted": self.metrics.submitted,
            "ended": sum(self.metrics.states.values()),
            "by_state": dict(self.metrics.states),
            "unaccounted_seqs": unfinished,
            "not_submitted_seqs": sorted(unsent),
            "events": self.events_written,
            "sinks": {r.name: r.to_dict() for r in reports},
        })
        write_metrics(self.run_dir, metrics)
        return metrics

"""Sinks in their own process, following events.jsonl: the generator pays nothing for them.

The run writes every event to events.jsonl (the record of truth) anyway. The relay reads
that file as it grows and feeds the network sinks, so their encoding and sending never
take the generator's CPU or its GIL, and the file itself is the buffer: a sink that
falls behind, or a relay that starts late, loses nothing. Gauges for the metric sinks
are folded from the same events, at the configured interval of event time.

The relay is a plain ``python -m workload.sinks.relay`` child (not multiprocessing, which
would re-import the caller's main module): its settings arrive as one JSON line on
stdin, and the end of stdin tells it the file is complete.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from workload.event import Event
from workload.rundir import EVENTS, read_sink_reports, write_sink_reports
from workload.sinks.base import Sink, SinkReport
from workload.sinks.config import SinkOptions, build_sinks
from workload.sinks.gauges import Gauges
from workload.sinks.jsonl import follow_lines

POLL_S = 0.05


class SinkRelay:
    """Start with ``start()``; ``finish()`` after events.jsonl is closed returns reports."""

    def __init__(self, options: SinkOptions, run_dir: Path, run_id: str, total_cpus: int) -> None:
        self.options, self.run_dir = options, run_dir
        self._settings = {"options": {k: str(v) if isinstance(v, Path) else v
                                      for k, v in dataclasses.asdict(options).items()},
                          "run_dir": str(run_dir), "run_id": run_id, "total_cpus": total_cpus}
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        # Lowest CPU priority: on a busy machine the generator keeps its CPU and the relay
        # catches up later; the file is its buffer, so lagging loses nothing.
        self._process = subprocess.Popen(
            [sys.executable, "-m", "workload.sinks.relay"], stdin=subprocess.PIPE, text=True,
            preexec_fn=lambda: os.nice(19))
        stdin = self._process.stdin
        assert stdin is not None, "started with stdin=PIPE"
        stdin.write(json.dumps(self._settings) + "\n")
        stdin.flush()

    def finish(self) -> list[SinkReport]:
        """Tell the relay the file is complete; wait for it to flush within the deadline."""
        process = self._process
        if process is None:
            return []
        if process.stdin is not None:     # always: started with stdin=PIPE
            process.stdin.close()
        try:
            process.wait(self.options.deadline + 30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reports = read_sink_reports(self.run_dir)
        if reports is None:
            return [SinkReport("relay", sent=0, buffered=-1)]
        return [SinkReport(name, **counts) for name, counts in reports.items()]


def relay(options: SinkOptions, run_dir: Path, run_id: str, total_cpus: int,
          done: threading.Event) -> None:
    """Follow the file until ``done`` and EOF, feed the sinks, write their reports."""
    sinks = build_sinks(options, run_dir)
    for sink in sinks:
        sink.open(run_id)
    gauges, interval = Gauges(total_cpus), options.metrics_interval
    next_sample: float | None = None
    last_time: float | None = None
    for line in follow_lines(run_dir / EVENTS, done.is_set, poll_s=POLL_S):
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
    reports = {r.name: r.to_dict() for r in close_all(sinks, options.deadline)}
    write_sink_reports(run_dir, reports)


def close_all(sinks: list[Sink], deadline_s: float) -> list[SinkReport]:
    """Every sink's ``close`` at once, so all of them end within one deadline. One after
    another, three frozen receivers took three deadlines, and the runner kills the relay
    at one deadline and a margin (``SinkRelay.finish``): mid-close, its reports unwritten."""
    if not sinks:
        return []
    with ThreadPoolExecutor(max_workers=len(sinks), thread_name_prefix="wlgen-close") as pool:
        return list(pool.map(lambda sink: sink.close(deadline_s), sinks))


def _sample(sinks, time: float, gauges: Gauges) -> None:
    values = gauges.snapshot()
    for sink in sinks:
        sink.sample(time, values)


def main() -> None:
    settings = json.loads(sys.stdin.readline())
    raw = settings["options"]
    spool = Path(raw["spool_dir"]) if raw["spool_dir"] else None
    options = SinkOptions(**{**raw, "spool_dir": spool})
    done = threading.Event()

    def wait_for_eof() -> None:       # the parent closes stdin when the file is complete,
        sys.stdin.read()              # or dies: either way there is nothing more to wait for
        done.set()
    threading.Thread(target=wait_for_eof, daemon=True).start()
    relay(options, Path(settings["run_dir"]), settings["run_id"], settings["total_cpus"], done)


if __name__ == "__main__":
    main()

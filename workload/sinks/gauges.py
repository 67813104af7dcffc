"""Run gauges folded from lifecycle events: what the metric sinks plot over time."""

from __future__ import annotations

from collections import Counter

from workload.event import END, FINAL_STATES, START, SUBMIT, Event


class Gauges:
    """Counts and levels of a run as of the last event seen."""

    def __init__(self, total_cpus: int) -> None:
        self.total_cpus = total_cpus
        self.submitted = 0
        self.ended: Counter[str] = Counter()
        self.running: dict[int, int] = {}     # seq -> procs
        self._latencies: list[float] = []

    def add(self, event: Event) -> None:
        if event.kind == SUBMIT:
            self.submitted += 1
            if event.submit_latency_s is not None:
                self._latencies.append(event.submit_latency_s)
        elif event.kind == START:
            self.running[event.seq] = event.procs
        elif event.kind == END:
            self.running.pop(event.seq, None)
            self.ended[event.state] += 1

    def snapshot(self) -> dict[str, float]:
        """Current values; submit latency is the mean since the previous snapshot."""
        running = len(self.running)
        ended = sum(self.ended.values())
        values: dict[str, float] = {
            "submitted": self.submitted, "running": running, "ended": ended,
            "pending": self.submitted - ended - running,
            "queue_depth": self.submitted - ended - running,
            "utilization": (sum(self.running.values()) / self.total_cpus
                            if self.total_cpus else 0.0),
        }
        values.update({state.lower(): self.ended[state] for state in FINAL_STATES})
        if self._latencies:
            values["submit_latency_s"] = sum(self._latencies) / len(self._latencies)
            self._latencies.clear()
        return values

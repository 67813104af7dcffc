"""Pair a run's lifecycle events into one record per job: the realised schedule."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from workload.event import END, REQUEUED, START, STATE, SUBMIT, Event


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job as it happened. ``start`` is None for a job that never ran."""

    seq: int
    job_id: str
    submit: float
    start: float | None
    end: float
    procs: int
    state: str
    user: str
    partition: str
    nodes: tuple[str, ...]
    gpus: int = 0        # GPUs its start event named (0: none, or the backend can't tell)

    @property
    def wait(self) -> float | None:
        return None if self.start is None else self.start - self.submit

    @property
    def run(self) -> float:
        return 0.0 if self.start is None else self.end - self.start


class EventPairer:
    """Feed events in order; each ``end`` event completes one JobRecord."""

    def __init__(self) -> None:
        self._open: dict[int, list] = {}   # seq -> [job_id, submit, start, nodes, gpus]

    def add(self, event: Event) -> JobRecord | None:
        kind = event.kind
        if kind == SUBMIT:
            # A watcher may report a start before the submit: keep what is known.
            entry = self._open.setdefault(event.seq, [event.job_id, event.time, None, (), 0])
            entry[0], entry[1] = event.job_id, event.time
        elif kind == START:
            entry = self._entry(event)
            entry[2], entry[3], entry[4] = event.time, event.nodes, len(event.gpus)
        elif kind == STATE and event.state == REQUEUED:
            self._entry(event)[2] = None    # it will start again
        elif kind == END:
            job_id, submit, start, nodes, gpus = (self._open.pop(event.seq, None)
                                                  or self._orphan(event))
            return JobRecord(event.seq, job_id, submit, start, event.time, event.procs,
                             event.state, event.user, event.partition, nodes or event.nodes,
                             gpus)
        return None

    def _entry(self, event: Event) -> list:
        return self._open.setdefault(event.seq, self._orphan(event))

    @staticmethod
    def _orphan(event: Event) -> list:
        """An end or start without a submit seen (events joined mid-run): submit unknown."""
        return [event.job_id, event.time, None, (), 0]

    @property
    def unfinished(self) -> list[int]:
        """Jobs submitted that have not ended (yet)."""
        return sorted(self._open)


def build_schedule(events: Iterable[Event]) -> Iterator[JobRecord]:
    builder = EventPairer()
    for event in events:
        record = builder.add(event)
        if record is not None:
            yield record

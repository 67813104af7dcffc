"""Runs of jobs on nodes, from events: a requeued job has one attempt per start."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from workload.event import END, REQUEUED, START, STATE, Event


@dataclass(frozen=True, slots=True)
class Attempt:
    """One stretch of a job holding CPUs: from a start to its end or requeue.

    ``stop`` is inf for a job still running when the record ends (an interrupted run).
    """

    seq: int
    job_id: str
    start: float
    stop: float
    procs: int
    partition: str
    nodes: tuple[str, ...]
    gpus: tuple[str, ...] = ()    # node:index of each GPU held, where the backend tells


def attempts(events: Iterable[Event]) -> Iterator[Attempt]:
    """Every attempt, in the order they stop (then the ones that never stopped)."""
    open_: dict[int, Event] = {}
    for event in events:
        if event.kind == START:
            open_[event.seq] = event
        elif event.kind == END or (event.kind == STATE and event.state == REQUEUED):
            began = open_.pop(event.seq, None)
            if began is not None:
                yield _attempt(began, event.time)
    for began in open_.values():
        yield _attempt(began, math.inf)


def _attempt(began: Event, stop: float) -> Attempt:
    return Attempt(began.seq, began.job_id, began.time, stop, began.procs, began.partition,
                   began.nodes, began.gpus)


def requeued_seqs(events: Iterable[Event]) -> set[int]:
    return {e.seq for e in events if e.kind == STATE and e.state == REQUEUED}

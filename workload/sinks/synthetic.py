"""Synthetic lifecycle events for exercising sinks (tests, bench/sinks.py) without a run."""

from __future__ import annotations

from collections.abc import Iterator

from workload.event import COMPLETED, END, FAILED, PENDING, RUNNING, START, SUBMIT, TIMEOUT, Event

_ENDINGS = (COMPLETED,) * 8 + (FAILED, TIMEOUT)


def job_events(jobs: int, start: float, step_s: float = 0.01) -> Iterator[Event]:
    """submit, start and end of ``jobs`` jobs, ``step_s`` apart from ``start``; seq from 0.

    One job in ten ends badly (FAILED or TIMEOUT), users and partitions alternate.
    """
    seq = 0
    for job in range(jobs):
        user, partition = f"user{job % 3}", ("batch", "debug")[job % 2]
        final = _ENDINGS[job % len(_ENDINGS)]
        for kind, state in ((SUBMIT, PENDING), (START, RUNNING), (END, final)):
            nodes = (f"n{job % 8}",) if kind != SUBMIT else ()
            exit_code = (0 if final == COMPLETED else 1) if kind == END else None
            yield Event(kind, start + seq * step_s, seq, str(1000 + job), state, user,
                        partition, procs=4, nodes=nodes, exit_code=exit_code)
            seq += 1

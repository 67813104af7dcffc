"""The textbook simulator's fast engine: virtual time on a plain heap, without simpy.

A textbook replay (``--policy fcfs|easy``, no wall clock, no Slurm mode) used simpy
only as a priority queue of callbacks: every arrival, scheduler pass and job end was a
simpy event (an Event object, its callbacks list, simpy's step machinery). ``VirtualClock``
keeps exactly simpy's order, (time, priority, the order events were scheduled in), so
every run is byte for byte the run simpy makes (tests/run/test_sim_engines.py compares
them), with one tuple and one small object an event. It offers what the generator, the
textbook SimCluster and the scenario faults use of simpy: ``now``, ``timeout``,
``event``, ``process`` and ``run(until=...)``, with simpy's own errors where a run ends
oddly (a failed process, an empty schedule).

Which engine a run uses: ``engine_for`` (settings.json ``sim_engine``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from heapq import heappop, heappush
from typing import Any

from simpy.core import EmptySchedule

URGENT, NORMAL = 0, 1       # simpy's priorities: a process starts before same-time events
FAST, SIMPY = "fast", "simpy"
ENGINE_VAR = "WLGEN_SIM_ENGINE"     # "simpy" forces the old engine (the engines' test)
_PENDING = object()


class Tick:
    """One scheduled or pending event: simpy's Event as far as its users read it."""

    __slots__ = ("env", "callbacks", "value", "ok")

    def __init__(self, env: VirtualClock, value: Any = _PENDING) -> None:
        self.env, self.value, self.ok = env, value, True
        self.callbacks: list[Callable[[Any], None]] | None = []

    @property
    def triggered(self) -> bool:
        return self.value is not _PENDING

    @property
    def processed(self) -> bool:
        return self.callbacks is None

    def succeed(self, value: Any = None) -> Tick:
        if self.value is not _PENDING:
            raise RuntimeError(f"{self} has already been triggered")
        self.value = value
        self.env.schedule(self, NORMAL)
        return self


class VirtualClock:
    """simpy.Environment's virtual time for the textbook simulator, without its objects."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, int, Tick]] = []
        self._eid = 0

    def schedule(self, event: Tick, priority: int = NORMAL, delay: float = 0.0) -> None:
        self._eid += 1
        heappush(self._queue, (self.now + delay, priority, self._eid, event))

    def timeout(self, delay: float, value: Any = None) -> Tick:
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        event = Tick(self, value)
        self._eid += 1
        heappush(self._queue, (self.now + delay, NORMAL, self._eid, event))
        return event

    def event(self) -> Tick:
        return Tick(self)

    def process(self, generator: Generator[Tick, Any, Any]) -> Tick:
        """Run ``generator`` as simpy runs a process: started by an urgent event now,
        resumed by each event it yields; its own event fires when it returns or fails."""
        done = Tick(self)
        start = Tick(self, None)
        start.callbacks = [lambda event: _resume(self, generator, done, event)]
        self.schedule(start, URGENT)
        return done

    def run(self, until: Tick) -> Any:
        """Process events until ``until`` has been processed, as simpy's run(until=)."""
        if until.callbacks is None:
            return until.value
        queue, stop = self._queue, until
        try:
            while True:
                if not queue:
                    raise EmptySchedule()
                self.now, _, _, event = heappop(queue)
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks or ():
                    callback(event)
                if not event.ok:
                    failure = event.value
                    copy = type(failure)(*failure.args)
                    copy.__cause__ = failure
                    raise copy
                if event is stop:
                    return event.value
        except EmptySchedule:
            # simpy's own error, raised while handling EmptySchedule (its __context__):
            # the generator tells a stalled simulation by it.
            raise RuntimeError('No scheduled events left but "until" event was not '
                               f'triggered: {until}') from None


def _resume(env: VirtualClock, generator: Generator[Tick, Any, Any], done: Tick,
            event: Tick) -> None:
    """simpy's Process._resume: send the event's value, wait on what is yielded next."""
    value = event.value
    while True:
        try:
            target = generator.send(value)
        except StopIteration as stop:
            done.succeed(stop.value)
            return
        except BaseException as failure:    # simpy fails the process's event with it
            done.value, done.ok = failure, False
            env.schedule(done, NORMAL)
            return
        if target.callbacks is not None:
            target.callbacks.append(lambda fired: _resume(env, generator, done, fired))
            return
        value = target.value


def engine_for(backend: object) -> str:
    """The engine a run uses: the fast one for the textbook simulator in virtual time
    (no wall clock, no Slurm mode: those use simpy's real-time clock and richer events),
    unless ``WLGEN_SIM_ENGINE=simpy`` asks for simpy (to compare the two)."""
    textbook = (getattr(backend, "name", "") == "sim" and not getattr(backend, "realtime", True)
                and getattr(backend, "slurm", None) is None)
    if not textbook or os.environ.get(ENGINE_VAR, FAST) == SIMPY:
        return SIMPY
    return FAST

"""The simpy generator: owns time, submits jobs, feeds lifecycle events back in.

In simulation the environment runs in virtual time as fast as it can. Against real
Slurm it runs simpy's real-time environment (not strict): the backend hands each submit
to its own worker pool, so a slow submit never moves the clock or later submits.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import simpy
import simpy.rt
from simpy.core import EmptySchedule

from workload.backends.base import Backend
from workload.backends.sim.vclock import FAST, VirtualClock, engine_for
from workload.errors import BackendError, InputError
from workload.event import END, Event
from workload.run.recorder import Recorder
from workload.spec import JobSpec

PUMP_INTERVAL_S = 0.01   # real time: how often events from backend threads are taken in
#: Closed loop: ends kept for dependants still to come. A job's end is needed only by
#: later jobs naming it as ``preceding``; sources yield in submit order, so those come
#: soon after it. A dependant whose predecessor fell out of the window is submitted at
#: its own time and counted in ``open_loop_fallbacks``, as if outside the workload.
END_WINDOW = 65_536
Progress = Callable[[int, int], None]


@dataclass
class Outcome:
    """How the generator's loop ended."""

    interrupted: bool
    stalled: bool              # virtual time ran out with jobs still queued (nodes down)
    submitted: int
    ended: int
    open_loop_fallbacks: int   # closed-loop jobs whose predecessor was not in the workload
    wall_s: float
    sim_s: float
    exhausted: bool = True     # the workload was read to its end
    input_error: InputError | None = None   # the source broke a rule mid-run: the run stopped
    backend_error: BackendError | None = None   # the backend cannot go on (cluster gone)

    @property
    def stopped_by(self) -> str | None:
        """Why the run ended before its workload did: None, or what stopped it."""
        if self.input_error is not None:
            return "input error"
        if self.backend_error is not None:
            return "backend failure"
        return "interrupt" if self.interrupted else "stall" if self.stalled else None


class Generator:
    """Drive ``workload`` through ``backend`` and record every event."""

    def __init__(self, workload: Iterable[JobSpec], backend: Backend, recorder: Recorder, *,
                 epoch: float, closed_loop: bool = True, run_id: str = "",
                 on_progress: Progress | None = None) -> None:
        self.workload, self.backend, self.recorder = workload, backend, recorder
        self.epoch, self.closed_loop, self.run_id = epoch, closed_loop, run_id
        self.on_progress = on_progress
        self.engine = engine_for(backend)
        self.env: simpy.Environment = (
            simpy.rt.RealtimeEnvironment(factor=1.0, strict=False) if backend.realtime
            else VirtualClock() if self.engine == FAST    # type: ignore[assignment]
            else simpy.Environment())
        self.done = self.env.event()
        self.inbox: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.submitted = self.ended = self.held = self.fallbacks = 0
        self.arrivals_done = False
        self.source_of: dict[int, int] = {}          # seq -> source_id, in flight (closed loop)
        self.in_flight: set[int] = set()             # source_ids submitted, not ended
        self.end_of: dict[int, float] = {}           # source_id -> end, env time
        self.waiting: dict[int, list[JobSpec]] = {}  # predecessor -> parked dependants
        self.held_ids: set[int] = set()              # source_ids parked or timed, not submitted
        self.end_window = END_WINDOW
        self._stop = self.env.event()                # Ctrl-C, at the next safe point

    # -- the run ------------------------------------------------------------------------
    def run(self) -> Outcome:
        emit = self.inbox.put if self.backend.realtime else self.handle
        self.backend.attach(self.env, emit, self.epoch, self.run_id)
        self.env.process(self._arrivals())
        if self.backend.realtime:
            self.env.process(self._pump())
        self._stop.callbacks.append(self._stopped)
        if isinstance(self.env, simpy.rt.RealtimeEnvironment):
            # Its clock started when it was made: without this the backend's set-up
            # (reaching a controller can take seconds) would make the first jobs late
            # and leave wall_s shorter than the run's own schedule.
            self.env.sync()
        started, interrupted, stalled, error = time.monotonic(), False, False, None
        try:
            self.env.run(until=self.done)
            interrupted = self._stop.processed
        except KeyboardInterrupt:
            interrupted = True
        except InputError as err:   # from the source: stop, keep what was submitted
            # simpy re-raises a failed process's exception as a copy caused by the original
            error = err.__cause__ if isinstance(err.__cause__, InputError) else err
        except RuntimeError as err:
            if not self._schedule_ran_dry(err):
                raise
            stalled = True   # jobs wait for nodes that never come back: the report names them
        finally:
            self._drain_inbox()
        return Outcome(interrupted, stalled, self.submitted, self.ended, self.fallbacks,
                       time.monotonic() - started, self.env.now,
                       exhausted=self.arrivals_done, input_error=error,
                       backend_error=self.backend.failure())

    def request_stop(self) -> None:
        """Stop at the next safe point: between two events, never inside one.

        Safe to call from a signal handler: it only schedules an event, and the run
        ends when simpy processes it (so every recorded event is whole everywhere)."""
        if not self._stop.triggered:
            self._stop.succeed()

    def _stopped(self, _event: simpy.Event) -> None:
        if not self.done.triggered:
            self.done.succeed()

    def _schedule_ran_dry(self, err: RuntimeError) -> bool:
        """simpy's own "no events left before ``until``" (and nothing else): only a
        simulation can get there, when jobs wait for nodes that never come back."""
        return (isinstance(err.__context__, EmptySchedule) and not self.backend.realtime
                and not self.done.triggered)

    def _check_done(self) -> None:
        if (self.arrivals_done and not self.held and self.ended >= self.submitted
                and not self.done.triggered):
            self.done.succeed()

    # -- arrivals ------------------------------------------------------------------------
    def _arrivals(self):
        env, closed = self.env, self.closed_loop
        for spec in self.workload:
            if closed and spec.preceding is not None and self._park(spec):
                continue
            delay = spec.submit_s - env.now
            if delay > 0:
                yield env.timeout(delay)
            self._submit(spec)
        self.arrivals_done = True
        self._check_done()

    def _park(self, spec: JobSpec) -> bool:
        """Closed loop: hold a job until its predecessor ended, plus think time.

        False means "submit it at its own time": the predecessor is not in the workload
        (cut off by a window, or skipped); those are counted in ``fallbacks``."""
        pred = spec.preceding
        if pred in self.end_of:
            self._release(spec, self.end_of[pred] + spec.think_s)
        elif pred in self.in_flight or pred in self.held_ids:
            self._hold(spec)
            self.waiting.setdefault(pred, []).append(spec)
        else:
            self.fallbacks += 1
            return False
        return True

    def _hold(self, spec: JobSpec) -> None:
        self.held += 1
        if spec.source_id is not None:
            self.held_ids.add(spec.source_id)

    def _release(self, spec: JobSpec, at: float, *, parked: bool = False) -> None:
        """Submit a held job at env time ``at`` (now, if that has passed)."""
        if not parked:
            self._hold(spec)

        def submit_at():
            yield self.env.timeout(max(0.0, at - self.env.now))
            self.held -= 1
            self.held_ids.discard(spec.source_id)
            self._submit(spec)
        self.env.process(submit_at())

    def _submit(self, spec: JobSpec) -> None:
        self.submitted += 1
        if self.closed_loop and spec.source_id is not None:
            self.source_of[spec.seq] = spec.source_id
            self.in_flight.add(spec.source_id)
        self.recorder.remember(spec)
        self.backend.submit(spec)

    # -- events --------------------------------------------------------------------------
    def handle(self, event: Event) -> None:
        """Record one event and react to it (closed-loop releases, the end of the run)."""
        self.recorder.record(event)
        if event.kind == END:
            self._ended(event)

    def _ended(self, event: Event) -> None:
        self.ended += 1
        source_id = self.source_of.pop(event.seq, None)
        if source_id is not None:
            self.in_flight.discard(source_id)
            end = event.time - self.epoch
            self._keep_end(source_id, end)
            for spec in self.waiting.pop(source_id, ()):
                self._release(spec, end + spec.think_s, parked=True)
        if self.on_progress and not self.ended % 1000:
            self.on_progress(self.ended, self.submitted)
        self._check_done()

    def _keep_end(self, source_id: int, end: float) -> None:
        """Remember an end for dependants still to come, within a bounded window."""
        end_of = self.end_of
        end_of[source_id] = end
        if len(end_of) > self.end_window:
            del end_of[next(iter(end_of))]   # the oldest end (dicts keep insertion order)

    def _pump(self):
        """Real time: take in events that backend threads emitted; end the run when the
        backend cannot go on (``Backend.failure``: e.g. its controller is gone)."""
        while True:
            self._drain_inbox()
            if self.backend.failure() is not None:
                self._stopped(self.done)
                return
            yield self.env.timeout(PUMP_INTERVAL_S)

    def _drain_inbox(self) -> None:
        inbox = self.inbox
        if inbox.empty():
            return
        while not inbox.empty():
            self.handle(inbox.get_nowait())
        self.recorder.flush()   # real time: live sinks follow the file, keep it current

"""Getting records to a network receiver without ever blocking the run, and without losing any.

One ``Delivery`` per network sink: ``put`` only enqueues (the generator never waits on the
network); a background thread encodes, batches and sends through a ``Transport``. While
the receiver is down, or slower than the run, records are parked in a disk ``Spool`` and
retried with exponential backoff; on reconnect the spool is replayed first, so order is
kept. Records held in memory longer than :data:`PARK_S` go to the spool too, so a process
killed with SIGKILL loses at most that, and what arrived during one send in flight. At
the end of the run ``close(deadline_s)`` flushes for at most the deadline and
reports sent / still buffered / dropped, and where the buffered records wait.

Records still buffered at the deadline are not forgotten: a spool is named by its sink,
its receiver and its run (``<sink>-<receiver key>-<run_id>.spool``), and the next
``Delivery`` of the same sink to the same receiver with the same spool directory takes
over every spool left there (see ``Spool.adopt``) and sends those records first. Runs
against a cluster's monitoring share one spool directory (the cluster's, see
workload/sinks/config.py), so what one run could not deliver goes with the next.

Delivery is at-least-once: a record is forgotten only after the transport confirmed it.
A receiver that dies after reading part of a batch but before confirming gets that part
again, so each record carries its run id, job seq, kind and time for deduplication (a
job's events share its seq). The window is one batch: see Spool (its header) and close.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import tempfile
import time
from abc import abstractmethod
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol

from workload.errors import SinkError
from workload.event import Event
from workload.sinks.base import Sink, SinkReport
from workload.sinks.spool import Spool

log = logging.getLogger(__name__)

_STOP = object()   # queue marker: the producer is done, drain and report
GRACE_S = 5.0      # past the deadline, for a send in flight to be confirmed (not resent)
PARK_S = 1.0       # records held in memory longer than this go to the spool (a SIGKILL)


class Transport(Protocol):
    """Sends one batch of records in order to one receiver."""

    @property
    def rejected(self) -> int:
        """Records the receiver refused for good, so far; only ever among the leading
        records a ``send`` returned (never one still to be sent again)."""

    def send(self, batch: list[bytes]) -> int:
        """Return how many leading records are settled (confirmed delivered, or refused
        for good and counted in ``rejected``); raise OSError for none."""

    def close(self) -> None:
        """Release connections."""


class Delivery:
    """Queue + sender thread + backoff + spool for one sink. See the module docstring.

    The spool and the records in memory are the sender thread's, except under ``_lock``,
    which it never holds across a send: ``close`` takes them over at the deadline even
    while a send is still in flight, so every record not confirmed is in the spool file
    before the report says it waits there.
    """

    def __init__(self, name: str, transport: Transport, encode: Callable[[Any], list[bytes]],
                 spool_path: Path, *, batch_max: int = 500, memory_max: int = 10_000,
                 buffer_max: int | None = None, backoff_s: float = 0.1,
                 backoff_max_s: float = 5.0, adopt: Iterable[Path] = ()) -> None:
        self.name, self._transport, self._encode = name, transport, encode
        self._spool = Spool(spool_path)
        self.recovered = self._spool.adopt(adopt)   # left by earlier runs: sent first
        if self.recovered:
            log.info("%s: %d records left by earlier runs, sent first", name, self.recovered)
        self._batch_max, self._memory_max, self._buffer_max = batch_max, memory_max, buffer_max
        self._backoff_min, self._backoff_max = backoff_s, backoff_max_s
        self._backoff = backoff_s
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending: deque[bytes] = deque()   # encoded, in memory; empty while the spool isn't
        self._pending_since = 0.0               # monotonic time pending last became non-empty
        self._wake = threading.Event()          # set by put: something is queued
        self._lock = threading.Lock()           # spool, pending, encode: see the class docstring
        self._closed = False                    # close() took them over
        self._stop = threading.Event()          # deadline passed: give up sending
        self._draining = False
        self.sent = self.dropped = self.refused = 0
        self._thread = threading.Thread(target=self._run, name=f"wlgen-sink-{name}", daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        """Hand one item to the sender thread. Never blocks, never touches the network."""
        self._queue.put(item)
        self._wake.set()

    def close(self, deadline_s: float) -> SinkReport:
        """Send what is left for at most ``deadline_s`` seconds (and :data:`GRACE_S` for
        a send in flight to be confirmed), park the rest in the spool file, then report."""
        self._queue.put(_STOP)
        self._wake.set()
        self._thread.join(max(0.0, deadline_s))
        self._stop.set()
        self._thread.join(GRACE_S)
        with self._lock:
            self._closed = True   # a send still in flight is abandoned: its batch is parked
            self._take(self._get())   # what the thread never saw goes to disk too
            self._park(self._pending)
            buffered = len(self._spool)
            self._spool.close()
        if self._thread.is_alive():
            log.warning("%s: a send was still in flight at the deadline: its batch is kept "
                        "in the spool too (it may arrive twice)", self.name)
        else:
            self._transport.close()
        if buffered:
            log.warning("%s: %d records not delivered, kept in %s", self.name, buffered,
                        self._spool.path)
        cut = self._spool.cut
        dropped = self.dropped + self.refused + cut
        return SinkReport(self.name, sent=self.sent, buffered=buffered, dropped=dropped,
                          recovered=self.recovered, cut=cut,
                          spool_file=str(self._spool.path) if buffered else "")

    # -- the sender thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._step():
                pass
        except Exception:   # a bug here must not silently stop delivery: say so loudly
            log.exception("%s: sender thread crashed", self.name)
            self._stop.set()

    def _step(self) -> bool:
        """Take what was queued and send one batch; False when there is nothing more to do."""
        with self._lock:
            if self._closed or self._stop.is_set():
                return False
            idle = not (self._pending or self._spool)
        if idle:   # unlocked, the queue untouched: what is taken is taken under the lock
            self._wake.wait(0.2)
        self._wake.clear()
        with self._lock:
            if self._closed:
                return False
            self._take(self._get())
            if self._pending and time.monotonic() - self._pending_since >= PARK_S:
                self._park(self._pending)   # a receiver slower than the run: to disk
            if self._draining and not (self._pending or self._spool):
                return False
            from_spool = bool(self._spool)
            batch = self._spool.peek(self._batch_max) if from_spool else \
                [self._pending[i] for i in range(min(self._batch_max, len(self._pending)))]
        if not batch:
            return True
        done, refused = self._try_send(batch)   # unlocked: close() may take over meanwhile
        with self._lock:
            if self._closed:   # the batch is parked, refused records too: none counted
                return False
            self.refused += refused
            self._confirm(batch, done, refused, from_spool)
        if done == 0:   # the receiver is away; one that settled part of it is not
            self._back_off()
            self._backoff = min(self._backoff * 2, self._backoff_max)
        else:
            self._backoff = self._backoff_min
        return True

    def _back_off(self) -> None:
        """Wait the backoff, parking what is queued meanwhile every :data:`PARK_S`
        (behind the spool the failed batch is in), so a SIGKILL loses none of it."""
        end = time.monotonic() + self._backoff
        while (left := end - time.monotonic()) > 0 and not self._stop.wait(min(left, PARK_S)):
            with self._lock:
                if self._closed:
                    return
                self._take(self._get())

    def _get(self) -> list[Any]:
        """The items queued so far, without waiting (the sender takes them under the lock,
        so none is ever in its hands alone when close() parks what is left)."""
        items: list[Any] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _take(self, items: list[Any]) -> None:
        """Move queued items into pending (memory) or the spool, encoding them."""
        fresh: list[bytes] = []
        for item in items:
            if item is _STOP:
                self._draining = True
            else:
                fresh.extend(self._encode(item))
        self._accept(fresh)

    def _accept(self, fresh: list[bytes]) -> None:
        if self._spool or len(self._pending) + len(fresh) > self._memory_max:
            # Keep order: once anything is on disk, everything newer goes behind it.
            self._park(self._pending)
            self._park(fresh)
        else:
            if fresh and not self._pending:
                self._pending_since = time.monotonic()
            self._pending.extend(fresh)

    def _park(self, records: deque[bytes] | list[bytes]) -> None:
        batch = list(records)
        if isinstance(records, deque):
            records.clear()
        if self._buffer_max is not None:
            room = max(0, self._buffer_max - len(self._spool))
            self.dropped += max(0, len(batch) - room)
            batch = batch[:room]
        self._spool.extend(batch)

    def _confirm(self, batch: list[bytes], done: int, refused: int, from_spool: bool) -> None:
        """Forget the ``done`` leading records of ``batch``, which the receiver has (or
        refused for good: ``refused`` of them, counted as dropped, not sent)."""
        self.sent += done - refused
        if from_spool:
            self._spool.consume(batch[:done])
        else:
            for _ in range(done):
                self._pending.popleft()
        if done < len(batch):
            self._park(self._pending)   # the receiver is away: memory is not a safe place

    def _try_send(self, batch: list[bytes]) -> tuple[int, int]:
        """(leading records settled, how many of them were refused)."""
        before = self._transport.rejected
        try:
            done = self._transport.send(batch)
        except OSError as err:
            log.info("%s: receiver unavailable (%s), retrying in %.1fs", self.name, err,
                     self._backoff)
            done = 0
        return done, self._transport.rejected - before


class QueuedSink(Sink):
    """A network sink: ``emit``/``sample`` enqueue, a ``Delivery`` does the rest.

    Subclasses say how to reach the receiver (``transport``) and how an item becomes wire
    records (``encode``, run on the sender thread so the generator pays only a queue put).
    """

    batch_max = 500   # records per send; small for slow receivers, so close() isn't kept waiting

    def __init__(self, *, spool_dir: Path | None = None, buffer_max: int | None = None,
                 backoff_max_s: float = 5.0) -> None:
        self.spool_dir = spool_dir or Path(tempfile.gettempdir()) / "wlgen-spool"
        self.buffer_max, self.backoff_max_s = buffer_max, backoff_max_s
        self.run_id = ""
        self._delivery: Delivery | None = None

    @abstractmethod
    def transport(self) -> Transport:
        """A new transport to the receiver."""

    @abstractmethod
    def encode(self, item: Any) -> list[bytes]:
        """Wire records (one line each) for one queued item; [] to skip it."""

    @property
    @abstractmethod
    def destination(self) -> str:
        """The receiver, as a URL or address: spools are kept apart by it."""

    def spool_path(self, run_id: str) -> Path:
        """``<sink>-<receiver key>-<run_id>.spool`` in the spool directory."""
        return self.spool_dir / f"{self._spool_stem()}-{run_id}.spool"

    def left_behind(self, run_id: str) -> list[Path]:
        """Spools of this sink and receiver in the spool directory but not ``run_id``'s."""
        own = self.spool_path(run_id)
        return [p for p in self.spool_dir.glob(f"{self._spool_stem()}-*.spool") if p != own]

    def _spool_stem(self) -> str:
        key = hashlib.sha256(self.destination.encode()).hexdigest()[:12]
        return f"{self.name}-{key}"

    def open(self, run_id: str) -> None:
        self.run_id = run_id
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self._delivery = Delivery(self.name, self.transport(), self.encode,
                                  self.spool_path(run_id), batch_max=self.batch_max,
                                  buffer_max=self.buffer_max, backoff_max_s=self.backoff_max_s,
                                  adopt=self.left_behind(run_id))

    def emit(self, event: Event) -> None:
        self._put(event)

    def _put(self, item: Any) -> None:
        if self._delivery is None:
            raise SinkError(f"sink {self.name}: emit before open")
        self._delivery.put(item)

    def close(self, deadline_s: float) -> SinkReport:
        if self._delivery is None:
            return SinkReport(self.name, sent=0)
        report, self._delivery = self._delivery.close(deadline_s), None
        return report

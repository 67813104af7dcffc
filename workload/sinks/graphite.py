"""Run metrics to carbon through graphyte (plaintext protocol).

What is sent, every ``interval_s`` of run time (the events' and samples' own clock):
  <prefix><gauge>            each gauge the generator passes to ``sample`` (submitted,
                             pending, running, completed, failed, timeout, utilisation,
                             queue_depth, submit_latency, ...), its latest value
  <prefix>events.<kind>      lifecycle events seen so far, per kind (submit, start, ...)
  <prefix>ended.<STATE>      jobs ended so far, per final state
and once more at close, so the last values always arrive. Points follow ``sample`` calls;
a run that never samples gets its counters on its events' clock instead. The default prefix is
``wlgen.<run_id>.``. Carbon keeps one point per metric and timestamp, so a point sent
twice is harmless here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any, NamedTuple

import graphyte

from workload.errors import InputError
from workload.event import END, Event
from workload.sinks.base import SinkReport
from workload.sinks.delivery import QueuedSink, Transport
from workload.sinks.transports import join_lines, send_stream

_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


class _Sample(NamedTuple):
    time: float
    gauges: dict[str, float]


class _Final(NamedTuple):
    """Queued by ``close``: send the last values whatever the interval."""


def parse_hostport(text: str, field: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError("expected HOST:PORT", field=field, value=text)
    return host, int(port)


def metric_name(text: str) -> str:
    """A safe Graphite path node: dots and spaces would create or split nodes."""
    return _UNSAFE.sub("_", text).strip("_") or "_"


class _ConfirmingSender(graphyte.Sender):
    """graphyte's sender, with our confirmed TCP send (see ``send_stream``) for TCP."""

    def send_message(self, message: bytes) -> None:
        if self.protocol != "tcp":
            super().send_message(message)
            return
        send_stream((self.host, self.port), message, self.timeout)


class _GraphyteTransport:
    rejected = 0

    def __init__(self, sender: graphyte.Sender) -> None:
        self.sender = sender

    def send(self, batch: list[bytes]) -> int:
        self.sender.send_socket(join_lines(batch))   # raise_send_errors: failures reach us
        return len(batch)

    def close(self) -> None:
        """graphyte opens a connection per send."""


class GraphiteSink(QueuedSink):
    """Counters from the events and the generator's gauges, to carbon at ``host:port``."""

    name = "graphite"

    def __init__(self, address: str, *, prefix: str | None = None, interval_s: float = 10.0,
                 protocol: str = "tcp", spool_dir: Path | None = None,
                 buffer_max: int | None = None, backoff_max_s: float = 5.0) -> None:
        if interval_s <= 0:
            raise InputError("must be > 0", field="metrics-interval", value=interval_s)
        super().__init__(spool_dir=spool_dir, buffer_max=buffer_max,
                         backoff_max_s=backoff_max_s)
        self.host, self.port = parse_hostport(address, "graphite")
        self.prefix, self.interval_s, self.protocol = prefix, interval_s, protocol
        self._counts: Counter[str] = Counter()   # sender thread only
        self._gauges: dict[str, float] = {}
        self._due = float("-inf")
        self._last_time = 0.0
        self._sampled = False
        self._sender: graphyte.Sender | None = None

    def open(self, run_id: str) -> None:
        prefix = self.prefix if self.prefix is not None else f"wlgen.{metric_name(run_id)}."
        self._sender = _ConfirmingSender(self.host, self.port, prefix=prefix.rstrip(".") or None,
                                         protocol=self.protocol, raise_send_errors=True)
        super().open(run_id)

    @property
    def destination(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    def transport(self) -> Transport:
        assert self._sender is not None   # set by open()
        return _GraphyteTransport(self._sender)

    def sample(self, time: float, gauges: dict[str, float]) -> None:
        self._put(_Sample(time, dict(gauges)))

    def close(self, deadline_s: float) -> SinkReport:
        if self._delivery is not None:
            self._put(_Final())
        return super().close(deadline_s)

    def encode(self, item: Any) -> list[bytes]:
        if isinstance(item, _Final):
            return self._snapshot(self._last_time)
        if isinstance(item, _Sample):
            if not self._sampled:   # from now on points follow samples: start their clock
                self._sampled, self._due = True, float("-inf")
            self._gauges.update(item.gauges)
            self._last_time = max(self._last_time, item.time)
        else:
            self._count(item)
            if self._sampled:
                return []   # points follow the generator's samples when it sends them
        if self._last_time < self._due:
            return []
        self._due = self._last_time + self.interval_s
        return self._snapshot(self._last_time)

    def _count(self, event: Event) -> None:
        self._counts[f"events.{metric_name(event.kind)}"] += 1
        if event.kind == END:
            self._counts[f"ended.{metric_name(event.state)}"] += 1
        self._last_time = max(self._last_time, event.time)

    def _snapshot(self, time: float) -> list[bytes]:
        assert self._sender is not None
        values = {metric_name(k): float(v) for k, v in self._gauges.items()}
        values.update(self._counts)
        # graphyte's message ends with a newline; a spool record is the line without it.
        return [self._sender.build_message(name, value, time)[:-1]
                for name, value in sorted(values.items())]

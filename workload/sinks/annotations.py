"""Lifecycle events as Graphite annotations (graphite-web's events API), what Grafana overlays.

An event is ``{"what", "tags": [...], "data": "<json string>", "when": epoch}``.
graphite-web's own ``POST /events/`` takes one per request, ~14 ms of its CPU each
(django-tagging's per-tag queries, one transaction each): ~110 events/s on a quiet
2-core host, far less on a loaded one, where a 2,000-job storm's 6,000 events did not
get in before the run's flush deadline. A wlgen monitoring container also serves
``POST /wlgen/events/`` (containers/monitoring/wlgen_graphite_events.py): a batch of
events in one request and one transaction, the same rows stored. The sink sends
batches there, and one event a request to ``/events/`` on a graphite-web without it
(404). A 5xx or a timeout is the receiver being away: the batch waits in the spool and
is retried with backoff, half as large after a timeout; each event carries a key (run
id, job seq, kind, state, time) by which the bulk endpoint stores a batch it saved but
did not confirm in time only once (graphite-web's own ``/events/`` has no such key: there,
delivery is at least once). ``failures`` or ``startend`` still spare a busy host.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workload.errors import InputError
from workload.event import COMPLETED, END, FINAL_STATES, REQUEUED, START, Event
from workload.sinks.delivery import QueuedSink, Transport
from workload.sinks.transports import EventsTransport

FILTERS = ("all", "startend", "failures")
_SPACE = re.compile(r"\s+")


def wanted(event: Event, filter_: str) -> bool:
    """Does ``event`` pass the annotation filter (all | startend | failures)?"""
    if filter_ == "all":
        return True
    if filter_ == "startend":
        return event.kind in (START, END)
    failed = event.state in FINAL_STATES and event.state != COMPLETED
    return failed or event.state == REQUEUED


def tag(value: object) -> str:
    # graphite-web joins tags with spaces and splits them again: a space would split a tag.
    return _SPACE.sub("_", str(value))


class AnnotationSink(QueuedSink):
    """POSTs the events that pass ``filter_`` to ``<url>/events/``."""

    name = "annotations"
    # One POST a batch (/wlgen/events/): ~1-3 s for 200 on a loaded host, well inside the
    # transport's timeout; on a plain graphite-web one POST an event, ~10-30 ms each.
    batch_max = 200

    def __init__(self, url: str, *, filter_: str = "all", spool_dir: Path | None = None,
                 buffer_max: int | None = None, backoff_max_s: float = 5.0,
                 timeout_s: float = 10.0) -> None:
        if filter_ not in FILTERS:
            raise InputError(f"must be one of {', '.join(FILTERS)}", field="annotate",
                             value=filter_)
        if not url.startswith(("http://", "https://")):
            raise InputError("expected an http(s):// URL", field="graphite-web", value=url)
        super().__init__(spool_dir=spool_dir, buffer_max=buffer_max,
                         backoff_max_s=backoff_max_s)
        self.base, self.filter = url.rstrip("/"), filter_
        self.url = self.base + "/events/"
        self.timeout_s = timeout_s   # one POST; beyond it graphite-web counts as away

    @property
    def destination(self) -> str:
        return self.base

    def transport(self) -> Transport:
        return EventsTransport(self.base, self.timeout_s)

    def emit(self, event: Event) -> None:
        if wanted(event, self.filter):   # filtered here: skipped events cost no queue put
            self._put(event)

    def encode(self, item: Any) -> list[bytes]:
        return [json.dumps(self.annotation(item)).encode()]

    def annotation(self, event: Event) -> dict[str, Any]:
        tags = ["wlgen", self.run_id, event.kind, event.state, event.partition, event.user]
        data = {"run_id": self.run_id, **event.to_dict()}
        return {"what": f"job {event.job_id} {event.kind} {event.state}",
                "tags": [tag(t) for t in tags if t],
                "data": json.dumps(data), "when": event.time, "key": self.key(event)}

    def key(self, event: Event) -> str:
        """What the bulk endpoint stores an event once by, whatever the retries
        (graphite-web's own /events/ ignores it). A job's events share its seq: the kind,
        state and time tell them apart (a requeued job starts again, later)."""
        return f"{self.run_id}:{event.seq}:{event.kind}:{event.state}:{event.time!r}"
